"""Campaign results are recomputed nightly: attribution windows close with time, whether or
not orders come in (after an import or API orders they are recomputed at once)."""

from typing import Any

from django.db import migrations

from clvcrm.core.schedules import periodic_task_delete, periodic_task_ensure

NAME = "Campaign results, nightly"


def forwards(apps: Any, schema_editor: Any) -> None:
    periodic_task_ensure(
        apps,
        name=NAME,
        task="clvcrm.pipeline.tasks.campaign_results_refresh",
        minute="30",
        hour="4",
        description="Recomputes the results of every campaign whose attribution window is "
        "open or has closed since its last computation.",
    )


def backwards(apps: Any, schema_editor: Any) -> None:
    periodic_task_delete(apps, name=NAME)


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0002_campaign_schedules")]

    operations = [migrations.RunPython(forwards, backwards)]
