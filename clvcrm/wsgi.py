"""WSGI entry point (gunicorn clvcrm.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clvcrm.settings.production")

application = get_wsgi_application()
