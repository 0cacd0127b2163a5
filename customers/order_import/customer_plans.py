"""What each customer of a batch should look like after it: new rows or changed fields.

The rule (the README's "latest order's row wins"): each detail comes from the latest row
that gives it, by the order's ``placed_at`` and then the order of the file; empty cells
never erase. A customer remembers when the order was placed whose row last gave their
details (``details_as_of``): a row of an older order changes nothing, it only fills a
detail still empty. The PostgreSQL writer applies the same rule in SQL (``staged.py``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone

from customers.order_import.batches import OrderDraft

DETAILS = ("email", "first_name", "last_name", "country", "marketing_consent", "channel")


@dataclass
class CustomerPlan:
    """A customer's details as the batch gives them: ``{detail: (value, placed_at)}``."""

    acquired_on: date
    given: dict[str, tuple[object, datetime]] = field(default_factory=dict)

    @property
    def details_at(self) -> datetime | None:
        """When the latest order was placed whose row gave a detail."""
        return max((moment for _, moment in self.given.values()), default=None)

    def value(self, detail: str, default: object = "") -> object:
        return self.given[detail][0] if detail in self.given else default


def customer_plans(orders: list[OrderDraft]) -> dict[str, CustomerPlan]:
    """Each customer's details: for each, the value of the latest row that gives it."""
    plans: dict[str, CustomerPlan] = {}
    local_day = local_day_function()
    for draft in orders:
        day = local_day(draft.placed_at)
        plan = plans.get(draft.customer_id)
        if plan is None:
            plans[draft.customer_id] = CustomerPlan(day)
        elif day < plan.acquired_on:
            plan.acquired_on = day
    # sorted() is stable: orders placed at the same moment keep the order of the file.
    for draft in sorted(orders, key=lambda d: d.placed_at):
        given = plans[draft.customer_id].given
        moment = draft.placed_at
        for row in draft.rows:
            for detail in DETAILS:
                value = getattr(row, detail)
                if value not in ("", None):
                    given[detail] = (value, moment)
    return plans


def local_day_function() -> Callable[[datetime], date]:
    tz = timezone.get_current_timezone()

    def local_day(moment: datetime) -> date:
        # Most order times are already in the shop's zone (naive in the file).
        return moment.date() if moment.tzinfo is tz else moment.astimezone(tz).date()

    return local_day


def customer_updates(
    plans: dict[str, CustomerPlan], existing: dict[str, dict]
) -> dict[int, dict[str, object]]:
    """The changed fields of every stored customer, by primary key; empty cells never erase.

    ``details_as_of`` moves only along with a change: a row that gives the same details
    as stored writes nothing.
    """
    updates: dict[int, dict[str, object]] = {}
    for cid, plan in plans.items():
        stored = existing.get(cid)
        if stored is None:
            continue
        changes = _changed_details(plan, stored)
        if plan.acquired_on < stored["acquired_on"]:
            changes["acquired_on"] = plan.acquired_on
        if changes:
            details_at = plan.details_at
            as_of = stored["details_as_of"]
            if details_at is not None and (as_of is None or details_at > as_of):
                changes["details_as_of"] = details_at
            updates[stored["id"]] = changes
    return updates


def _changed_details(plan: CustomerPlan, stored: dict) -> dict[str, object]:
    as_of = stored["details_as_of"]
    changes: dict[str, object] = {}
    for detail, (value, moment) in plan.given.items():
        current = stored["acquisition_channel__name" if detail == "channel" else detail]
        if value == current:
            continue
        # Consent has no empty value to fill: only a newer row changes it.
        empty = current in ("", None) and detail != "marketing_consent"
        if empty or as_of is None or moment >= as_of:
            changes[detail] = value
    return changes
