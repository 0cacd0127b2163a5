"""The nightly schedules name the tasks where they now live (issue 10: the pipeline).

The CLV run is a step of the project's pipeline (``clvcrm.pipeline.tasks``), which queues
what follows it; the loyalty task shares its service's name.
"""

from django.db import migrations

RENAMED = {
    "customers.tasks.recalculate_clv": "clvcrm.pipeline.tasks.clv_recalculate",
    "customers.tasks.refresh_loyalty": "customers.tasks.loyalty_refresh",
}


def rename(apps, schema_editor, names=RENAMED):
    periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
    for old, new in names.items():
        periodic_task.objects.filter(task=old).update(task=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0015_upload_retention_and_login_records"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
