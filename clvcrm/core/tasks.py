"""Enqueue Celery tasks only once the surrounding transaction has committed; the core's
own (nightly) tasks."""

from typing import Any

from celery import Task, current_app, shared_task
from django.db import transaction

from clvcrm.core import idempotency


def enqueue_on_commit(task: Task | str, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` with the given arguments after the current transaction commits.

    A task queued inside a transaction that later rolls back would act on rows that never
    existed; a task queued before commit may run before its rows are visible. Outside a
    transaction the task is queued at once. ``task`` may be a registered task's name: how
    an app starts a step of the project's pipeline (``clvcrm.pipeline``), which it may not
    import.
    """

    def send() -> None:
        registered = task_named(task) if isinstance(task, str) else task
        registered.delay(*args, **kwargs)

    transaction.on_commit(send)


def task_named(name: str) -> Task:
    """The registered task ``name``. A web process imports an app's tasks module only when
    something asks for it (a worker imports them all at start): the first time a name is
    missing, the apps' task modules are imported as a worker does, then it is looked up."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


@shared_task(acks_late=True)
def idempotency_keys_expire() -> None:
    """Delete the API's idempotency keys past ``IDEMPOTENCY_KEY_HOURS`` (nightly by beat).

    Safe to deliver twice: the second finds nothing more to delete.
    """
    idempotency.idempotency_keys_expire()
