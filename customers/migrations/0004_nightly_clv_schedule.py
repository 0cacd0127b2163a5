"""The nightly CLV recalculation, stored in the database so Admins can change it."""

from django.db import migrations

from clvcrm.core.roles import roles_sync
from clvcrm.core.schedules import periodic_task_delete, periodic_task_ensure

TASK_NAME = "Nightly CLV recalculation"


def create_schedule(apps, schema_editor):
    periodic_task_ensure(
        apps,
        name=TASK_NAME,
        task="customers.tasks.recalculate_clv",
        minute="30",
        hour="2",
        description="Recalculate every customer's CLV as of yesterday.",
    )


def delete_schedule(apps, schema_editor):
    periodic_task_delete(apps, name=TASK_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_clv_runs_and_scores"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_schedule, delete_schedule),
        # Admins may change the schedule: grant the new app's permissions.
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
    ]
