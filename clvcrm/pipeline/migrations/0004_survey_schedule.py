"""The daily survey step: after-order and periodic survey invitations."""

from typing import Any

from django.db import migrations

from clvcrm.core.schedules import periodic_task_delete, periodic_task_ensure

SURVEYS = "Survey invitations, daily"


def forwards(apps: Any, schema_editor: Any) -> None:
    periodic_task_ensure(
        apps,
        name=SURVEYS,
        task="clvcrm.pipeline.tasks.surveys_invite",
        minute="0",
        hour="10",
        description="After-order surveys invite the customers whose completed orders are now "
        "old enough; periodic surveys that are due invite their segment.",
    )


def backwards(apps: Any, schema_editor: Any) -> None:
    periodic_task_delete(apps, name=SURVEYS)


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0003_campaign_results_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
