"""The nightly loyalty run, stored in the database so Admins can change it; role grants.

Support may redeem and adjust points (they answer the customers); Marketing runs the
programme (tiers and settings) and sees the ledger; Analysts see it all read-only
(``clvcrm/core/roles.py``).
"""

from django.db import migrations

from clvcrm.core.roles import roles_sync
from clvcrm.core.schedules import periodic_task_delete, periodic_task_ensure

TASK_NAME = "Nightly loyalty run"


def create_schedule(apps, schema_editor):
    periodic_task_ensure(
        apps,
        name=TASK_NAME,
        task="customers.tasks.refresh_loyalty",
        minute="0",
        hour="4",
        description="Evaluate loyalty tiers; earn, reverse and expire points (as of today).",
    )


def delete_schedule(apps, schema_editor):
    periodic_task_delete(apps, name=TASK_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_loyalty"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_schedule, delete_schedule),
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
    ]
