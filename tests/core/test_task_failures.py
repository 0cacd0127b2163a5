"""A task that fails for good leaves a TaskFailure row; the record never raises."""

import pytest
from celery import shared_task
from django.db import connection

from clvcrm.core.models import TaskFailure
from clvcrm.core.task_failures import task_failure_record


class BrokenError(Exception):
    """What the test task raises."""


@shared_task
def fails_always(order_id: int, note: str = "") -> None:
    raise BrokenError(f"order {order_id} cannot be read")


@pytest.mark.django_db
def test_a_failed_task_is_recorded_with_its_arguments_and_error():
    # apply() without throw runs the task through the tracer a worker uses; the embedded
    # mode's delay() raises in the caller instead (CELERY_TASK_EAGER_PROPAGATES).
    result = fails_always.apply(args=(42,), kwargs={"note": "x"}, throw=False)

    assert result.failed()

    failure = TaskFailure.objects.get()
    assert failure.task_name == "tests.core.test_task_failures.fails_always"
    assert failure.exception == "BrokenError: order 42 cannot be read"
    assert failure.arguments == "args=[42] kwargs={'note': 'x'}"
    assert "raise BrokenError" in failure.traceback
    assert failure.task_id


@pytest.mark.django_db
def test_texts_are_cut_to_what_the_columns_hold():
    task_failure_record(
        task_name="t" * 300,
        task_id="i" * 100,
        arguments="a" * 5000,
        exception="e" * 5000,
        traceback="start" + "b" * 30_000 + "end",
    )

    failure = TaskFailure.objects.get()
    assert (len(failure.task_name), len(failure.task_id)) == (200, 64)
    assert (len(failure.arguments), len(failure.exception)) == (1000, 2000)
    assert len(failure.traceback) == 20_000
    assert failure.traceback.endswith("end")  # the end of a traceback says the most


@pytest.mark.django_db(transaction=True)
def test_a_database_that_cannot_take_the_record_costs_a_log_line_not_an_exception(caplog):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_taskfailure RENAME TO core_taskfailure_away")
    try:
        task_failure_record(
            task_name="x", task_id="1", arguments="", exception="E: x", traceback=""
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_taskfailure_away RENAME TO core_taskfailure")
    assert "Could not record the failure of x (1)" in caplog.text
    assert not TaskFailure.objects.exists()
