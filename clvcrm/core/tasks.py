"""Enqueue Celery tasks only once the surrounding transaction has committed."""

from functools import partial
from typing import Any

from celery import Task
from django.db import transaction


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` with the given arguments after the current transaction commits.

    A task queued inside a transaction that later rolls back would act on rows that never
    existed; a task queued before commit may run before its rows are visible. Outside a
    transaction the task is queued at once.
    """
    transaction.on_commit(partial(task.delay, *args, **kwargs))
