"""Spend written as upserts: new rows inserted, changed amounts updated, the rest untouched.

An unchanged amount keeps its row as it was (``updated_at`` and ``updated_by`` too), so
writing the same figures again (the same file imported twice, an API call retried, a grid
saved without edits) changes nothing and says so.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import reduce
from operator import or_

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from customers.marketing.values import SpendEntry
from customers.models import MarketingSpend

UPSERT_BATCH = 1000


@dataclass(frozen=True)
class SpendWritten:
    """How many entries were new, changed, already so, and removed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


def spend_store(
    *,
    entries: Sequence[SpendEntry],
    removed: Collection[tuple[date, int]] = (),
    user: User | None,
) -> SpendWritten:
    """Upsert ``entries`` and delete the ``(month, channel_id)`` rows in ``removed``.

    Runs in the caller's transaction. Three statements whatever the number of entries: the
    rows already there (locked), one ``INSERT ... ON CONFLICT DO UPDATE`` for the new and
    changed ones (in batches past :data:`UPSERT_BATCH`), one ``DELETE``. Raises
    ``ValueError`` if a month and channel comes twice (callers report it per row).
    """
    keys = [(entry.month, entry.channel_id) for entry in entries]
    if len(set(keys)) != len(keys) or set(keys) & set(removed):
        raise ValueError("each month and channel may come once")
    existing = _amounts(set(keys) | set(removed))
    now = timezone.now()
    changed = [
        MarketingSpend(
            month=e.month, channel_id=e.channel_id, amount=e.amount, updated_at=now, updated_by=user
        )
        for e in entries
        if existing.get((e.month, e.channel_id)) != e.amount
    ]
    if changed:
        MarketingSpend.objects.bulk_create(
            changed,
            batch_size=UPSERT_BATCH,
            update_conflicts=True,
            unique_fields=["month", "channel"],
            update_fields=["amount", "updated_at", "updated_by"],
        )
    gone = [key for key in removed if key in existing]
    deleted = _delete(gone)
    created = sum(1 for row in changed if (row.month, row.channel_id) not in existing)
    return SpendWritten(
        created=created,
        updated=len(changed) - created,
        unchanged=len(entries) - len(changed),
        removed=deleted,
    )


def _amounts(keys: set[tuple[date, int]]) -> dict[tuple[date, int], Decimal]:
    """The amounts stored for ``keys``, their rows locked until the transaction ends."""
    if not keys:
        return {}
    months = {month for month, _ in keys}
    channels = {channel for _, channel in keys}
    # Months × channels covers the keys: a grid or a file names few of each.
    rows = (
        MarketingSpend.objects.select_for_update()
        .filter(month__in=months, channel_id__in=channels)
        .values_list("month", "channel_id", "amount")
    )
    return {(month, channel): amount for month, channel, amount in rows if (month, channel) in keys}


def _delete(keys: list[tuple[date, int]]) -> int:
    if not keys:
        return 0
    match = reduce(or_, (Q(month=month, channel_id=channel) for month, channel in keys))
    deleted, _ = MarketingSpend.objects.filter(match).delete()
    return deleted
