"""The Celery application.

With ``CELERY_BROKER_URL`` unset the settings make every task run in-process (the embedded
mode); with it set, tasks go to the broker and real workers run them.
"""

import os

from celery import Celery

# The same safe default as manage.py and wsgi.py: production unless told otherwise.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clvcrm.settings.production")

app = Celery("clvcrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
