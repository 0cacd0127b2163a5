"""The Celery application.

With ``CELERY_BROKER_URL`` unset the settings make every task run in-process (the embedded
mode); with it set, tasks go to the broker and real workers run them.
"""

import os

from celery import Celery

# The same safe default as manage.py and wsgi.py: production unless told otherwise.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clvcrm.settings.production")

# Every task records its final failure for the operations page (clvcrm.core.task_failures).
app = Celery("clvcrm", task_cls="clvcrm.core.task_failures:RecordedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
