"""What each customer of a batch should look like after it: new rows or changed fields."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from customers.order_import.batches import OrderDraft


@dataclass
class CustomerPlan:
    attrs: dict[str, object]
    acquired_on: date
    channel: str


def customer_plans(orders: list[OrderDraft]) -> dict[str, CustomerPlan]:
    """Merge the customer columns of every accepted row: the last non-empty value wins."""
    plans: dict[str, CustomerPlan] = {}
    local_day = local_day_function()
    for draft in orders:
        day = local_day(draft.placed_at)
        plan = plans.get(draft.customer_id)
        if plan is None:
            plan = plans[draft.customer_id] = CustomerPlan({}, day, "")
        elif day < plan.acquired_on:
            plan.acquired_on = day
        for row in draft.rows:
            # Written out rather than looped over names: this runs for every row.
            attrs = plan.attrs
            if row.email:
                attrs["email"] = row.email
            if row.first_name:
                attrs["first_name"] = row.first_name
            if row.last_name:
                attrs["last_name"] = row.last_name
            if row.country:
                attrs["country"] = row.country
            if row.marketing_consent is not None:
                attrs["marketing_consent"] = row.marketing_consent
            if row.channel:
                plan.channel = row.channel
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
    """The changed fields of every stored customer, by primary key; empty cells never erase."""
    updates: dict[int, dict[str, object]] = {}
    for cid, plan in plans.items():
        stored = existing.get(cid)
        if stored is None:
            continue
        # Most customers come back unchanged: a subset test in C settles that quickly.
        same = plan.attrs.items() <= stored.items()
        changes = {} if same else {k: v for k, v in plan.attrs.items() if stored[k] != v}
        if plan.acquired_on < stored["acquired_on"]:
            changes["acquired_on"] = plan.acquired_on
        if plan.channel and plan.channel != stored["acquisition_channel__name"]:
            changes["channel"] = plan.channel
        if changes:
            updates[stored["id"]] = changes
    return updates
