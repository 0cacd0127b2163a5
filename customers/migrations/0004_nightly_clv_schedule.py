"""The nightly CLV recalculation, stored in the database so Admins can change it."""

from django.db import migrations

from clvcrm.core.roles import roles_sync

TASK_NAME = "Nightly CLV recalculation"


def create_schedule(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = crontab_model.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*"
    )
    task_model.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "customers.tasks.recalculate_clv",
            "crontab": crontab,
            "description": "Recalculate every customer's CLV as of yesterday.",
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


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
