"""The fast lane: validate a block of one-row orders column by column.

Most files are one row per order with a handful of customer columns, and nearly every row
is fine. For such a block, checking each column with one comprehension costs a fraction of
validating row by row, which matters at ten million rows. When anything in the block is
unusual (a line with a sku, an order on several rows, any value that fails a check) the
block takes the row-by-row path instead, which names every problem; so both lanes give
exactly the same result.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from itertools import compress, islice
from operator import itemgetter
from typing import cast

from clvcrm.core.input_values import PLAIN_MOMENT, InputValueError, date_from_text
from customers.order_import.batches import Batch
from customers.order_import.errors import Rejection
from customers.order_import.rows import (
    BOOLEANS,
    COUNTRY_CODES,
    EMAIL_LENGTH,
    IDENTIFIER_LENGTHS,
    PLAIN_AMOUNT,
    PLAIN_REFUND,
    STATUSES,
    TEXT_LENGTHS,
    RowParser,
    _email_ok,
)
from customers.order_import.table import OrderTable

Record = tuple[int, list[str] | csv.Error]


class Refused(list[str]):
    """The cells of a row that a shop export's format rejected (its order id among them, so
    its order's rows stay together) and the reasons: the row-by-row path reports them."""

    def __init__(self, fields: list[str], rejections: list[Rejection]) -> None:
        super().__init__(fields)
        self.rejections = rejections


LINE_COLUMNS = frozenset(
    {"sku", "product_name", "category", "quantity", "unit_price", "order_total"}
)


def raw_chunks(records: Iterable[Record], order_id_index: int, size: int) -> Iterator[list]:
    """Cut the records into chunks of about ``size``, never between rows of one order.

    A chunk takes ``size`` records at once (``islice`` runs in C: a loop in Python over
    ten million records costs seconds), then the rest of its last order.
    """
    records = iter(records)
    chunk = list(islice(records, size))
    while chunk:
        for item in records:
            if _same_order(chunk[-1][1], item[1], order_id_index):
                chunk.append(item)
                continue
            yield chunk
            chunk = [item, *islice(records, size - 1)]
            break
        else:
            yield chunk
            return


def _same_order(previous: object, current: object, index: int) -> bool:
    return (
        isinstance(previous, list)
        and isinstance(current, list)
        and len(previous) > index
        and len(current) > index
        and previous[index].strip() == current[index].strip()
    )


def fast_batch(chunk: list[Record], parser: RowParser) -> Batch | None:
    """The chunk as one-row orders in ``Batch.table``, or ``None`` for the row-by-row path.

    Anything unexpected in the chunk, an exception included, leaves it to that path.
    """
    try:
        return _fast_batch(chunk, parser)
    except Exception:  # the row-by-row path names the row and the problem
        return None


def _fast_batch(chunk: list[Record], parser: RowParser) -> Batch | None:
    if LINE_COLUMNS & parser.columns.keys():
        return None
    records = [fields for _, fields in chunk]
    if not all(isinstance(f, list) and len(f) >= parser.width for f in records):
        return None
    field_lists = cast(list[list[str]], records)  # every record is a list of fields: checked above
    col = {
        name: list(map(str.strip, map(itemgetter(i), field_lists)))
        for name, i in parser.columns.items()
    }
    customer_ids, order_ids = col["customer_id"], col["order_id"]
    if not (
        _identifiers_ok(customer_ids, "customer_id") and _identifiers_ok(order_ids, "order_id")
    ):
        return None
    if len(set(order_ids)) != len(order_ids):
        return None  # repeated order ids: the row-by-row path sorts out which one wins
    placed = _moments_as_text(col["placed_at"], parser) or _moments(col["placed_at"], parser)
    amounts = col["amount"]
    if placed is None or not all(map(PLAIN_AMOUNT.fullmatch, amounts)):
        return None
    refunds = col.get("refunded_amount")
    if refunds is not None and not _refunds_ok(refunds, amounts):
        return None
    extras = _optional_columns(col, len(records), parser)
    if extras is None:
        return None
    return Batch(
        rows=len(chunk),
        table=OrderTable(
            [n for n, _ in chunk],
            customer_ids,
            order_ids,
            placed,
            col["placed_at"],
            amounts,
            refunds,
            *extras,
            currency=parser.base_currency,
        ),
    )


def _identifiers_ok(values: list[str], column: str) -> bool:
    return (
        all(values)
        and max(map(len, values)) <= IDENTIFIER_LENGTHS[column]
        and all(map(str.isprintable, values))
    )


def _refunds_ok(refunds: list[str], amounts: list[str]) -> bool:
    """Empty, or plain amounts no larger than the order's (checked where given: few are)."""
    given = list(compress(zip(refunds, amounts, strict=True), refunds))
    return all(PLAIN_REFUND.fullmatch(r) and Decimal(r) <= Decimal(a) for r, a in given)


def _moments_as_text(values: list[str], parser: RowParser) -> list[str] | None:
    """The values themselves, if they are plain UTC times PostgreSQL reads as Python does.

    In a shop on UTC, a date or date-time without offset means the same instant to both,
    so it can go to the database as it is: parsing ten million of them into datetimes and
    formatting them again would cost more than the rest of the validation. The calendar
    dates are checked once per distinct day. All must have one shape (length, and the
    separator of date and time), so that their order as text is their order in time.
    """
    if getattr(parser.tz, "key", None) != "UTC" or not all(map(PLAIN_MOMENT.fullmatch, values)):
        return None
    if len(set(map(len, values))) != 1 or (
        len(values[0]) > 10 and len(set(map(itemgetter(10), values))) != 1
    ):
        return None
    days = {v[:10] for v in values}
    try:
        for day in days:
            date_from_text(day)
    except InputValueError:
        return None
    last, limit = max(days), parser.latest_placed_at
    if last < limit.date().isoformat():
        return values
    latest = max(parser.parse_placed_at(v) for v in values if v.startswith(last))
    return values if latest <= limit else None


def _moments(values: list[str], parser: RowParser) -> list[datetime] | None:
    try:
        moments = list(map(parser.parse_placed_at, values))
    except InputValueError:
        return None
    return moments if max(moments) <= parser.latest_placed_at else None


# statuses, emails, first names, last names, countries, channels, consents
OptionalColumns = tuple[
    list[str], list[str], list[str], list[str], list[str], list[str], list[bool | None]
]


def _optional_columns(
    col: dict[str, list[str]], n: int, parser: RowParser
) -> OptionalColumns | None:
    """Checked optional columns in ParsedRow order, or ``None`` if any value is off."""
    empty = [""] * n
    currency = col.get("currency")
    if currency and not all(c == "" or c.upper() == parser.base_currency for c in currency):
        return None
    statuses = [s.lower() or "completed" for s in col.get("status", [])] or ["completed"] * n
    emails = col.get("email", empty)
    countries = [c.upper() for c in col.get("country", empty)]
    consents = [c.lower() for c in col.get("marketing_consent", empty)]
    texts = {name: col.get(name, empty) for name in ("first_name", "last_name", "channel")}
    distinct_emails = set(emails) - {""}
    # Checked on the distinct values: addresses and codes repeat across a customer's rows.
    # Text longer than its column goes the row-by-row way, which cuts it with a warning.
    if not (
        set(statuses) <= STATUSES
        and all(len(e) <= EMAIL_LENGTH for e in distinct_emails)
        and all(map(_email_ok, distinct_emails))
        and set(countries) - {""} <= COUNTRY_CODES
        and set(consents) - {""} <= BOOLEANS.keys()
        and all(max(map(len, v)) <= TEXT_LENGTHS[name] for name, v in texts.items())
    ):
        return None
    return (
        statuses,
        emails,
        texts["first_name"],
        texts["last_name"],
        countries,
        texts["channel"],
        [BOOLEANS.get(c) for c in consents],
    )
