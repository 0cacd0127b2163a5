"""What each customer of a batch should look like after it: new rows or changed fields.

The latest-row rule (the README's "Customer details"): a customer's details follow the row
of their latest order, by ``placed_at``, then by order id (the shorter first, as shops
number orders: O9 before O10; of one order's rows, the last that gives a detail). Its
cells replace the stored details if no stored order of the customer is newer; a row of an
older order only fills a detail still empty; empty cells never erase. The newest stored
order is read from the orders table, and only for the customers whose details would
change, which are few: nothing has to be kept up to date as orders arrive, and a later
batch or file with older orders changes nothing that newer ones gave. The PostgreSQL
writer applies the same rule in SQL (``staged.py``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from clvcrm.core.bulk import in_chunks
from customers.models import Order
from customers.order_import.batches import OrderDraft
from customers.order_import.table import order_key

DETAILS = ("email", "first_name", "last_name", "country", "marketing_consent", "channel")
# Where a stored customer's detail is found in ``existing_customers``'s rows.
STORED = {detail: detail for detail in DETAILS} | {"channel": "acquisition_channel__name"}


@dataclass
class CustomerPlan:
    """A customer's orders in a batch: the latest, its details, and the latest of each."""

    acquired_on: date
    first_row: int
    latest: tuple = ()
    latest_details: dict[str, object] = field(default_factory=dict)
    given: dict[str, object] = field(default_factory=dict)

    def forget(self, detail: str) -> None:
        """Give up a detail the batch would set (an address another customer has)."""
        self.latest_details.pop(detail, None)
        self.given.pop(detail, None)

    def value(self, detail: str, default: object = "") -> object:
        """The detail a new customer gets: the latest order's, else the latest given."""
        return self.latest_details.get(detail, self.given.get(detail, default))


def customer_plans(orders: list[OrderDraft]) -> dict[str, CustomerPlan]:
    """Each customer's latest order and details, and earliest order day, in the batch."""
    plans: dict[str, CustomerPlan] = {}
    local_day = local_day_function()
    for draft in orders:
        day = local_day(draft.placed_at)
        plan = plans.get(draft.customer_id)
        if plan is None:
            plans[draft.customer_id] = CustomerPlan(day, draft.first_row)
        else:
            plan.acquired_on = min(plan.acquired_on, day)
            plan.first_row = min(plan.first_row, draft.first_row)
    # sorted() is stable: of orders with equal keys (none), the file's order stays.
    for draft in sorted(orders, key=lambda d: order_key(d.placed_at, d.order_id)):
        plan = plans[draft.customer_id]
        details = _given(draft)
        plan.latest = order_key(draft.placed_at, draft.order_id)
        plan.latest_details = details
        plan.given.update(details)
    return plans


def _given(draft: OrderDraft) -> dict[str, object]:
    """The details an order's rows give: of each, the last non-empty one."""
    given: dict[str, object] = {}
    for row in draft.rows:
        for detail in DETAILS:
            value = getattr(row, detail)
            if value not in ("", None):
                given[detail] = value
    return given


def local_day_function() -> Callable[[datetime], date]:
    tz = timezone.get_current_timezone()

    def local_day(moment: datetime) -> date:
        # Most order times are already in the shop's zone (naive in the file).
        return moment.date() if moment.tzinfo is tz else moment.astimezone(tz).date()

    return local_day


def customer_updates(
    plans: dict[str, CustomerPlan], existing: dict[str, dict], *, lookup_latest: bool = True
) -> dict[int, dict[str, object]]:
    """The changed fields of every stored customer, by primary key, by the latest-row rule.

    Without ``lookup_latest`` every order of the batch is newer than every stored order
    (a first load that comes in time order), so the latest rows win without asking.
    """
    contested = [
        stored["id"]
        for cid, plan in plans.items()
        if (stored := existing.get(cid)) is not None and _overwrites(plan, stored)
    ]
    newest = newest_stored_orders(contested) if lookup_latest and contested else {}
    updates: dict[int, dict[str, object]] = {}
    for cid, plan in plans.items():
        stored = existing.get(cid)
        if stored is None:
            continue
        latest_stored = newest.get(stored["id"])
        newer = latest_stored is None or plan.latest >= latest_stored
        changes = _changes(plan, stored, newer=newer)
        if plan.acquired_on < stored["acquired_on"]:
            changes["acquired_on"] = plan.acquired_on
        if changes:
            updates[stored["id"]] = changes
    return updates


def email_claims(
    plans: dict[str, CustomerPlan], existing: dict[str, dict], updates: dict[int, dict]
) -> dict[str, tuple[str, int]]:
    """The email each customer would get from the batch, if new or other than stored (not
    in case only), with the customer's first row (see ``existing.reject_email_clashes``)."""
    claims: dict[str, tuple[str, int]] = {}
    for cid, plan in plans.items():
        stored = existing.get(cid)
        if stored is None:
            email = str(plan.value("email"))
        else:
            email = str(updates.get(stored["id"], {}).get("email", ""))
            if email.lower() == stored["email"].lower():
                email = ""
        if email:
            claims[cid] = (email, plan.first_row)
    return claims


def _overwrites(plan: CustomerPlan, stored: dict) -> bool:
    """Whether the batch's latest order would change a detail the customer has."""
    return any(
        value != stored[STORED[detail]] and _has(detail, stored)
        for detail, value in plan.latest_details.items()
    )


def _has(detail: str, stored: dict) -> bool:
    # Consent has no empty value: only the latest order's row changes it.
    return detail == "marketing_consent" or stored[STORED[detail]] not in ("", None)


def _changes(plan: CustomerPlan, stored: dict, *, newer: bool) -> dict[str, object]:
    changes: dict[str, object] = {}
    for detail in DETAILS:
        current = stored[STORED[detail]]
        if not _has(detail, stored):
            value = plan.value(detail, None)
        elif newer:
            value = plan.latest_details.get(detail)
        else:
            value = None
        if value is not None and value != current:
            changes[detail] = value
    return changes


def newest_stored_orders(customer_pks: list[int]) -> dict[int, tuple]:
    """Each customer's latest stored order as an :func:`order_key` (one query a chunk)."""
    latest = (
        Order.objects.filter(customer=OuterRef("customer"))
        .values("customer")
        .annotate(latest=Max("placed_at"))
        .values("latest")
    )
    newest: dict[int, tuple] = {}
    for chunk in in_chunks(customer_pks):
        rows = Order.objects.filter(customer_id__in=chunk, placed_at=Subquery(latest))
        for pk, placed_at, order_id in rows.values_list("customer_id", "placed_at", "external_id"):
            key = order_key(placed_at, order_id)
            newest[pk] = max(newest.get(pk, key), key)
    return newest
