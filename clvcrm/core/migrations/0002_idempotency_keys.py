"""The API's idempotency keys, and the nightly task that deletes the expired ones."""

from typing import Any

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from clvcrm.core.schedules import periodic_task_delete, periodic_task_ensure

TASK_NAME = "Nightly deletion of expired API idempotency keys"


def create_schedule(apps: Any, schema_editor: Any) -> None:
    periodic_task_ensure(
        apps,
        name=TASK_NAME,
        task="clvcrm.core.tasks.idempotency_keys_expire",
        minute="45",
        hour="3",
        description="Delete API idempotency keys older than IDEMPOTENCY_KEY_HOURS.",
    )


def delete_schedule(apps: Any, schema_editor: Any) -> None:
    periodic_task_delete(apps, name=TASK_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_api_tokens"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="IdempotencyKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=255)),
                (
                    "request_digest",
                    models.CharField(
                        help_text="SHA-256 of the method, path and body the key was first sent with.",
                        max_length=64,
                    ),
                ),
                ("status_code", models.PositiveSmallIntegerField(null=True)),
                (
                    "response",
                    models.JSONField(
                        encoder=django.core.serializers.json.DjangoJSONEncoder, null=True
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="idempotency_keys",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("user", "key"), name="idempotency_key_per_user")
                ],
            },
        ),
        migrations.RunPython(create_schedule, delete_schedule),
    ]
