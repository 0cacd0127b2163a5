"""Services of marketing spend: entries saved (the grid, the API) and files imported."""

from collections.abc import Collection, Sequence
from datetime import date

from django.contrib.auth.models import User
from django.db import transaction

from clvcrm.core.audit import audit_record
from customers.marketing.spend_csv import SpendFile, spend_file_read
from customers.marketing.store import SpendWritten, spend_store
from customers.marketing.values import SpendEntry

__all__ = ["marketing_spend_import", "marketing_spend_save"]


def marketing_spend_save(
    *,
    entries: Sequence[SpendEntry],
    removed: Collection[tuple[date, int]] = (),
    user: User | None,
) -> SpendWritten:
    """Upsert spend entries and delete the ``(month, channel_id)`` rows in ``removed``, in one
    transaction: all of it or nothing.

    Amounts that did not change are left as they were (their ``updated_at`` and
    ``updated_by`` too), so saving the same figures again writes nothing. Raises
    ``ValueError`` when a month and channel comes twice.
    """
    with transaction.atomic(durable=True):
        written = spend_store(entries=entries, removed=removed, user=user)
        _audit(user, "marketing_spend.save", entries, written, removed=removed)
    return written


def marketing_spend_import(*, content: bytes, user: User | None) -> tuple[SpendFile, SpendWritten]:
    """Import a ``month, channel, amount`` CSV file: its good rows upserted in one
    transaction, its bad rows reported (row, column, value, reason).

    Importing the same file again changes nothing. Raises
    :class:`~customers.marketing.spend_csv.SpendFileError`, before anything is written, for
    a file that cannot be read at all.
    """
    read = spend_file_read(content)
    with transaction.atomic(durable=True):
        written = spend_store(entries=read.entries, user=user)
        _audit(user, "marketing_spend.import", read.entries, written)
    return read, written


def _audit(
    user: User | None,
    action: str,
    entries: Sequence[SpendEntry],
    written: SpendWritten,
    removed: Collection[tuple[date, int]] = (),
) -> None:
    """A staff member's spend write in the audit log: the counts, the entries (month,
    channel id, amount; the first 100) and the rows removed. Nothing written: no entry."""
    if user is None or not (written.created or written.updated or written.removed):
        return
    changes = {
        "created": written.created,
        "updated": written.updated,
        "removed": written.removed,
        "entries": [[e.month, e.channel_id, e.amount] for e in entries],
        "removed_rows": [[month, channel_id] for month, channel_id in removed],
    }
    audit_record(actor=user, action=action, changes=changes)
