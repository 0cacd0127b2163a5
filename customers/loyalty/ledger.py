"""Staff redemptions and adjustments of one customer's points.

Each locks the customer's balance row (``SELECT ... FOR UPDATE``), moves it with a
conditional ``UPDATE ... WHERE balance >= n`` and writes the ledger line in the same
transaction: concurrent redemptions queue on the row lock, each sees the balance the one
before it left, and a redemption larger than the balance is refused without writing
anything. The ``CHECK (balance >= 0)`` on the row is the last line of defence. A change
that would take a balance past the largest the 64-bit column holds is refused the same way.
"""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clvcrm.core.audit import audit_record
from clvcrm.core.input_values import INT64_MAX
from clvcrm.core.model_fields import max_length
from customers.models import Customer, PointsBalance, PointsEntry

MAX_POINTS = 10_000_000
REASON_LENGTH = max_length(PointsEntry, "reason")


class PointsError(ValueError):
    """A redemption or adjustment that cannot be made; the message says why."""


def points_change(
    *,
    customer: Customer,
    kind: str,
    points: int,
    reason: str,
    staff: User | None,
) -> PointsEntry:
    """Add ``points`` (signed) to the customer's balance as a ``kind`` line, or refuse."""
    reason = reason.strip()
    _check(kind, points, reason)
    with transaction.atomic():
        PointsBalance.objects.get_or_create(customer=customer)
        balance = PointsBalance.objects.select_for_update().get(customer=customer)
        if balance.balance + points < 0:
            raise PointsError(_shortfall(kind, -points, balance.balance))
        if balance.balance + points > INT64_MAX:
            raise PointsError(_excess(points, balance.balance))
        moved = PointsBalance.objects.filter(
            customer=customer, balance__gte=max(0, -points)
        ).update(balance=F("balance") + points, updated_at=timezone.now())
        if not moved:  # cannot happen under the lock; the conditional update says so anyway
            raise PointsError(_shortfall(kind, -points, balance.balance))
        by_staff = staff if staff is not None and staff.is_authenticated else None
        entry = PointsEntry.objects.create(
            customer=customer, kind=kind, points=points, reason=reason, staff=by_staff
        )
        if by_staff is not None:
            changes = {"points": points, "balance": [balance.balance, balance.balance + points]}
            audit_record(actor=by_staff, action=f"points.{kind}", target=customer, changes=changes)
        return entry


def _check(kind: str, points: int, reason: str) -> None:
    if kind not in (PointsEntry.Kind.REDEEM, PointsEntry.Kind.ADJUST):
        raise PointsError(f"staff can only redeem or adjust points, not {kind!r}")
    if not isinstance(points, int) or isinstance(points, bool):
        raise PointsError("points must be a whole number")
    if kind == PointsEntry.Kind.REDEEM and points >= 0:
        raise PointsError("a redemption takes points away: give a positive number to redeem")
    if points == 0:
        raise PointsError("an adjustment of 0 points changes nothing")
    if abs(points) > MAX_POINTS:
        raise PointsError(f"at most {MAX_POINTS:,} points at once")
    if not reason:
        raise PointsError("give a reason (it is kept in the ledger)")
    if len(reason) > REASON_LENGTH:
        raise PointsError(f"the reason is too long (at most {REASON_LENGTH} characters)")


def _shortfall(kind: str, wanted: int, balance: int) -> str:
    verb = "redeem" if kind == PointsEntry.Kind.REDEEM else "take away"
    return f"cannot {verb} {wanted:,} points: the balance is only {balance:,}"


def _excess(wanted: int, balance: int) -> str:
    return (
        f"cannot add {wanted:,} points: the balance of {balance:,} would pass the largest "
        f"a balance can hold, {INT64_MAX:,}"
    )
