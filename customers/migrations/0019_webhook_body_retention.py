"""Shop webhook bodies (customer data) are emptied after the retention period, nightly; the
event keeps when that happened."""

from django.db import migrations, models

from clvcrm.core.schedules import periodic_task_delete, periodic_task_ensure

TASK_NAME = "Nightly removal of expired webhook bodies"


def create_schedule(apps, schema_editor):
    periodic_task_ensure(
        apps,
        name=TASK_NAME,
        task="customers.tasks.webhook_event_bodies_expire",
        minute="15",
        hour="3",
        description=(
            "Empty the raw body of processed shop webhook deliveries older than "
            "WEBHOOK_BODY_RETENTION_DAYS (the events and their outcomes stay)."
        ),
    )


def delete_schedule(apps, schema_editor):
    periodic_task_delete(apps, name=TASK_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0018_shop_webhooks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookevent",
            name="body_removed_at",
            field=models.DateTimeField(
                blank=True, help_text="When the retention emptied the body.", null=True
            ),
        ),
        migrations.RunPython(create_schedule, delete_schedule),
    ]
