"""Services of marketing spend: entries saved (the grid, the API) and files imported."""

from collections.abc import Collection, Sequence
from datetime import date

from django.contrib.auth.models import User
from django.db import transaction

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
        return spend_store(entries=entries, removed=removed, user=user)


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
    return read, written
