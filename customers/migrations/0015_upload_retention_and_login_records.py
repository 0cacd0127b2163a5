"""Stored upload files are deleted after the retention period, nightly; Admins see and
lift login locks.

The Admin role gains the login throttle's records (``clvcrm/core/roles.py``): deleting an
access attempt in the admin lifts the lock it holds.
"""

from django.db import migrations, models

from clvcrm.core.roles import roles_sync
from clvcrm.core.schedules import periodic_task_delete, periodic_task_ensure

TASK_NAME = "Nightly deletion of expired upload files"


def create_schedule(apps, schema_editor):
    periodic_task_ensure(
        apps,
        name=TASK_NAME,
        task="customers.tasks.order_import_files_expire",
        minute="30",
        hour="3",
        description="Delete uploaded order files older than UPLOAD_RETENTION_DAYS (the imports stay).",
    )


def delete_schedule(apps, schema_editor):
    periodic_task_delete(apps, name=TASK_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_segment_broken_state"),
        ("axes", "0010_accessattemptexpiration"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderimport",
            name="file_deleted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(create_schedule, delete_schedule),
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
    ]
