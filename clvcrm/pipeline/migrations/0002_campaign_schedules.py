"""The loyalty run is a pipeline step now (campaign triggers follow it), and the campaign
outbox's sweeper runs every minute."""

from typing import Any

from django.db import migrations

from clvcrm.core.schedules import periodic_task_delete, periodic_task_ensure

SWEEPER = "Campaign outbox sweeper, every minute"
LOYALTY = ("customers.tasks.loyalty_refresh", "clvcrm.pipeline.tasks.loyalty_refresh")


def forwards(apps: Any, schema_editor: Any) -> None:
    periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
    periodic_task.objects.filter(task=LOYALTY[0]).update(task=LOYALTY[1])
    periodic_task_ensure(
        apps,
        name=SWEEPER,
        task="campaigns.tasks.outbox_sweep",
        minute="*",
        hour="*",
        description="Gives expired sending leases back and queues the senders and the "
        "campaign triggers when work waits (tasks lost with the broker, due broadcasts).",
    )


def backwards(apps: Any, schema_editor: Any) -> None:
    periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
    periodic_task.objects.filter(task=LOYALTY[1]).update(task=LOYALTY[0])
    periodic_task_delete(apps, name=SWEEPER)


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0001_step_requests"),
        ("customers", "0019_webhook_body_retention"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
