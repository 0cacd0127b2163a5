"""Follow-ups opened and tasks closed at once, with real threads and connections."""

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connections

from customers.models import Customer, CustomerTask
from customers.services.interactions import task_open_once, task_update
from tests.customers.interaction_builders import task_made

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CALLS = 20


def _at_once(call: Callable[[], bool]) -> Counter:
    """``CALLS`` calls of ``call``, each on its own thread and connection, started together."""
    start = threading.Event()

    def one() -> bool:
        start.wait()
        try:
            return call()
        finally:
            connections.close_all()  # this thread's connections

    with ThreadPoolExecutor(max_workers=CALLS) as pool:
        futures = [pool.submit(one) for _ in range(CALLS)]
        start.set()
        # .result() re-raises whatever a thread raised: any error fails the test.
        return Counter(f.result() for f in futures)


def test_twenty_calls_at_once_open_one_follow_up():
    ann = Customer.objects.create(external_id="ANN")

    outcomes = _at_once(
        lambda: (
            task_open_once(
                customer_id=ann.pk,
                source="nps_detractor",
                source_key="nps-response:1",
                title="NPS detractor",
                description="",
                due_on=date(2026, 7, 1),
            ).created
        )
    )

    assert outcomes == Counter({True: 1, False: CALLS - 1})
    assert CustomerTask.objects.filter(source_key="nps-response:1").count() == 1


def test_twenty_people_closing_a_task_at_once_close_it_once():
    task = task_made(Customer.objects.create(external_id="ANN"), "Call", date(2026, 7, 1))

    outcomes = _at_once(lambda: task_update(task_id=task.pk, status="done").changed)

    assert outcomes == Counter({True: 1, False: CALLS - 1})
    task.refresh_from_db()
    assert task.status == "done"
    assert task.closed_at is not None
