#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    # Production unless told otherwise, like wsgi.py and celery.py: a process started without
    # DJANGO_SETTINGS_MODULE must never run with DEBUG and a known key. The Makefile's
    # development targets (make demo, make worker) choose clvcrm.settings.local themselves.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clvcrm.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
