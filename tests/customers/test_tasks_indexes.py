"""The tasks inbox reads a page in index order on PostgreSQL, whatever the number of tasks:
no sort of every task, no scan of the table (query plans over 20,000 tasks)."""

from datetime import date, timedelta

import pytest
from django.db import connection

from customers.interactions.selectors import Assignee, Due, TaskFilters, task_inbox
from customers.models import Customer, CustomerTask

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TODAY = date(2026, 7, 1)
STATUSES = ["open", "in_progress", "done", "cancelled"]


@pytest.fixture
def tasks(make_staff) -> int:
    sam = make_staff("Support", "sam")
    customers = Customer.objects.bulk_create(
        Customer(external_id=f"C-{i:05}") for i in range(2_000)
    )
    CustomerTask.objects.bulk_create(
        CustomerTask(
            customer=customers[i % 2_000],
            title=f"task {i}",
            due_on=TODAY + timedelta(days=i % 400 - 200),
            status=STATUSES[i % 4],
            closed_at=None if i % 4 < 2 else "2026-06-01T00:00:00Z",
            assignee=sam if i % 10 == 0 else None,
        )
        for i in range(20_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customertask")
    return sam.pk


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({}, "task_active_due_idx"),
        ({"due": Due.OVERDUE}, "task_active_due_idx"),
        ({"assignee": Assignee.ME}, "task_active_assignee_idx"),
        ({"statuses": ("done",)}, "task_status_due_idx"),
        ({"statuses": ()}, "task_due_idx"),
    ],
)
def test_a_page_of_the_inbox_is_an_index_range_in_page_order(tasks, filters, index):
    queryset = task_inbox(TaskFilters(today=TODAY, user_id=tasks, **filters))

    plan = queryset.order_by("due_on", "id")[:51].explain()

    assert index in plan, plan
    assert "Seq Scan on customers_customertask" not in plan, plan
    assert "Sort" not in plan, plan
