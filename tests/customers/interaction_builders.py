"""Customers with scores, and tasks, for the notes and tasks tests."""

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from customers.models import ClvRun, Customer, CustomerScore, CustomerTask

AS_OF = date(2026, 6, 30)


def clv_run() -> ClvRun:
    """A succeeded run with predictions, finished now (the latest)."""
    return ClvRun.objects.create(
        as_of=AS_OF, status=ClvRun.Status.SUCCEEDED, r=1.0, finished_at=timezone.now()
    )


def scored(customer: Customer, run: ClvRun, predicted: str | None) -> CustomerScore:
    """Give ``customer`` a score of ``run`` with this predicted CLV (``None``: not predicted)."""
    return CustomerScore.objects.create(
        customer=customer,
        run=run,
        frequency=2,
        recency_days=100,
        age_days=300,
        monetary=Decimal("10"),
        total_spent=Decimal("30"),
        first_purchase=AS_OF - timedelta(days=300),
        last_purchase=AS_OF - timedelta(days=200),
        p_alive=0.8,
        predicted_clv=None if predicted is None else Decimal(predicted),
        historical_clv=Decimal("30"),
        rfm_recency=3,
        rfm_frequency=3,
        rfm_monetary=3,
        rfm_score="333",
    )


def customers_valued(values: Sequence[str | None], *, prefix: str = "V") -> list[Customer]:
    """One customer per value, scored by one new run with that predicted CLV."""
    run = clv_run()
    customers = []
    for i, value in enumerate(values):
        customer = Customer.objects.create(
            external_id=f"{prefix}-{i}", email=f"{prefix.lower()}{i}@example.com"
        )
        scored(customer, run, value)
        customers.append(customer)
    return customers


def task_made(customer: Customer, title: str, due_on: date, **fields: Any) -> CustomerTask:
    """A task written directly (the inbox tests need many in given states)."""
    status = fields.pop("status", CustomerTask.Status.OPEN)
    closed = status in CustomerTask.CLOSED
    return CustomerTask.objects.create(
        customer=customer,
        title=title,
        due_on=due_on,
        status=status,
        closed_at=timezone.now() if closed else None,
        **fields,
    )
