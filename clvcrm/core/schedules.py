"""Periodic tasks stored in the database (django-celery-beat), created by migrations."""

from typing import Any


def periodic_task_ensure(
    apps: Any, *, name: str, task: str, minute: str, hour: str, description: str
) -> None:
    """Create the periodic task ``name`` at ``hour:minute`` (a crontab: ``*`` is every) unless
    it exists.

    Migrations call this with their historical ``apps``; an existing task (perhaps moved
    by an Admin) is left as it is.
    """
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = crontab_model.objects.get_or_create(
        minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*"
    )
    task_model.objects.get_or_create(
        name=name, defaults={"task": task, "crontab": crontab, "description": description}
    )


def periodic_task_delete(apps: Any, *, name: str) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()
