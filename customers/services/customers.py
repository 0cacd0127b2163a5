"""Services of a customer's record: the details a client writes (the API), the
customer's own unsubscribe, and their latest NPS category."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from clvcrm.core.audit import audit_diff, audit_record, audit_snapshot
from customers.models import AcquisitionChannel, Customer, NpsCategory

__all__ = [
    "STAFF_DETAILS",
    "CustomerConflictError",
    "customer_create",
    "customer_nps_record",
    "customer_unsubscribe",
    "customer_update",
]

# What a client may write of a customer (the API): the shop's details, never the scores,
# segment, tier or points (computed), nor ``unsubscribed_at`` (recorded by unsubscribing).
CUSTOMER_DETAILS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "country",
    "channel",
    "marketing_consent",
    "birthday",
)
# Staff also set the language of the customer's pages and emails (the profile page); the
# API's input keeps the shop's details above.
STAFF_DETAILS = (*CUSTOMER_DETAILS, "language")


class CustomerConflictError(Exception):
    """Another customer already has this ``field`` (external id, or email in any case)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _customer_conflict(customer: Customer) -> CustomerConflictError | None:
    others = Customer.objects.exclude(pk=customer.pk) if customer.pk else Customer.objects.all()
    if others.filter(external_id=customer.external_id).exists():
        return CustomerConflictError("external_id", "Another customer already has this id.")
    if customer.email and others.filter(email__iexact=customer.email).exists():
        return CustomerConflictError("email", "Another customer already has this email address.")
    return None


def _customer_set(customer: Customer, details: Mapping[str, object]) -> None:
    unknown = set(details) - set(STAFF_DETAILS)
    if unknown:
        raise TypeError(f"not writable: {sorted(unknown)}")
    for name, value in details.items():
        if name == "channel":
            customer.acquisition_channel = (
                AcquisitionChannel.objects.get_or_create(name=value)[0] if value else None
            )
        else:
            setattr(customer, name, value)


def _customer_save(customer: Customer, update_fields: list[str] | None = None) -> Customer:
    conflict = _customer_conflict(customer)
    if conflict is not None:
        raise conflict
    try:
        with transaction.atomic():
            customer.save(update_fields=update_fields)
    except IntegrityError:  # the same id or email written at the same moment
        conflict = _customer_conflict(customer)
        if conflict is None:
            raise
        raise conflict from None
    return customer


def customer_create(*, external_id: str, **details: object) -> Customer:
    """A new customer with the given details (``CUSTOMER_DETAILS``; ``channel`` by name,
    made if new, as the order import makes it); :class:`CustomerConflictError` when the id
    or the email (in any case) is another customer's."""
    customer = Customer(external_id=external_id)
    _customer_set(customer, details)
    return _customer_save(customer)


def customer_update(*, customer: Customer, actor: Any = None, **details: object) -> Customer:
    """Change the given details of ``customer`` (``STAFF_DETAILS``); only their columns are
    written, so a concurrent change of another detail is kept. A staff ``actor`` is
    recorded in the audit log with the same transaction (personal details as changed,
    without their values); :class:`CustomerConflictError` when the email is another
    customer's, and nothing is written."""
    columns = ["acquisition_channel" if name == "channel" else name for name in details]
    before = audit_snapshot(customer, fields=columns)
    _customer_set(customer, details)
    with transaction.atomic():
        saved = _customer_save(customer, [*columns, "updated_at"])
        if actor is not None:
            changes = audit_diff(
                before, audit_snapshot(customer, fields=columns), model_label="customers.customer"
            )
            audit_record(actor=actor, action="customer.update", target=customer, changes=changes)
    return saved


def customer_unsubscribe(*, customer_id: int) -> bool:
    """Record that the customer asked for no more marketing email; True if this did it.

    One conditional UPDATE (``unsubscribed_at`` set only where it is empty), so the first
    moment is kept, two requests at once set it once, and it is committed before the next
    send checks consent. It joins the caller's transaction when there is one (the
    unsubscribe link records its event with it). False: already unsubscribed, or no such
    customer.
    """
    now = timezone.now()
    changed = Customer.objects.filter(pk=customer_id, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now, updated_at=now
    )
    return changed == 1


def customer_nps_record(*, customer_id: int, category: str, answered_at: datetime) -> bool:
    """Record ``category`` as the customer's latest NPS category if the answer given at
    ``answered_at`` is their latest (or the same one, changed): one conditional UPDATE, so
    an older answer stored late never overwrites a newer one. ``True`` if recorded.

    In the caller's transaction (the answer's), so the category and the answer commit
    together.
    """
    if category not in NpsCategory.values:
        raise ValueError(f"{category!r} is not an NPS category")
    moment = connection.ops.adapt_datetimefield_value(answered_at)
    # One statement on every answer: written out, the ORM's compile costs more than it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Customer._meta.db_table} SET nps_category = %s, nps_answered_at = %s "
            "WHERE id = %s AND (nps_answered_at IS NULL OR nps_answered_at <= %s)",
            [category, moment, customer_id, moment],
        )
        return cursor.rowcount == 1
