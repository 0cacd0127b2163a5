"""Enqueue Celery tasks only once the surrounding transaction has committed."""

from typing import Any

from celery import Task, current_app
from django.db import transaction


def enqueue_on_commit(task: Task | str, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` with the given arguments after the current transaction commits.

    A task queued inside a transaction that later rolls back would act on rows that never
    existed; a task queued before commit may run before its rows are visible. Outside a
    transaction the task is queued at once. ``task`` may be a registered task's name: how
    an app starts a step of the project's pipeline (``clvcrm.pipeline``), which it may not
    import.
    """

    def send() -> None:
        registered = current_app.tasks[task] if isinstance(task, str) else task
        registered.delay(*args, **kwargs)

    transaction.on_commit(send)
