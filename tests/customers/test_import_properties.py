"""Whatever rows a file holds, the import never raises, and every row ends imported or
rejected with its row, column and reason; the counts add up, the dry run says what the
import does, and a re-import changes nothing.

Generated rows: Unicode digits and spaces, dates from year 1 to 9999 with and without
zones, huge and tiny numbers, long and empty cells, and rows written without quoting, so
that quotes, separators and line breaks in cells break them. On PostgreSQL one-row files
go through the fast lane, COPY into the stage tables and the set-based merge (a first load,
then batches); files with lines through the row-by-row writer.
"""

import csv
import io
import os
import tempfile
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import Order, OrderLine
from customers.order_import.errors import RowReport
from customers.order_import.importer import ImportSummary
from customers.order_import.rows import line_amount
from customers.order_import.source import KNOWN_COLUMNS
from customers.services.order_imports import orders_import

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql"))
ONE_ROW_COLUMNS = (
    "customer_id,order_id,placed_at,amount,email,first_name,country,status,refunded_amount"
)
LINE_COLUMNS = "customer_id,order_id,placed_at,amount,status,sku,quantity,unit_price"

# Any character a UTF-8 file can hold but NUL (a NUL byte makes it binary, refused whole).
TEXT = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
ODD_DIGITS = st.text(st.characters(categories=("Nd", "No")), min_size=1, max_size=4)
SPACES = st.sampled_from([" ", "\u00a0", "\u2003", "\u3000", "\t", "\u200b"])


def _padded(cells: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(cells, st.tuples(SPACES, cells, SPACES).map("".join))


NUMBERS = _padded(
    st.one_of(
        st.integers(-(10**15), 10**15).map(str),
        st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
        st.floats().map(repr),
        st.sampled_from(["1e999999", "1e-999999", "0.001", "0.00001", "1_000", "12,50", ".5",
                         "5.", "+5", "-0", "9999999999.99", "10000000000", "²", "١٢٣", ""]),
        ODD_DIGITS,
    )
)  # fmt: skip
# Naive or aware moments: hypothesis's overloads type one kind of zone at a time.
ZONES: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))]),
)
DATES = _padded(
    st.one_of(
        st.datetimes(min_value=datetime(1, 1, 1), timezones=ZONES).map(lambda d: d.isoformat()),
        st.dates().map(str),
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 1, 1)).map(str),
        st.sampled_from(["0001-01-01T00:00:00+05:00", "0001-01-01", "9999-12-31T23:59:59-05:00",
                         "yesterday", "2025-02-30", "٢٠٢٥-01-01", ""]),
    )
)  # fmt: skip
CELLS = st.one_of(
    st.just(""),
    st.text(TEXT, max_size=12),
    st.text(TEXT, min_size=150, max_size=400),
    st.sampled_from(['"', 'a"b', '"open', ",", ";", "\n", "\r\n", "=1+1"]),
)


GOOD_DATES = st.one_of(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2025, 12, 31)).map(str),
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2025, 12, 31), timezones=ZONES
    ).map(lambda d: d.isoformat(sep=" ")),
)
CENTS = st.integers(0, 10**6)
ODD = {"customer_id": CELLS, "order_id": CELLS, "placed_at": DATES, "email": CELLS,
       "first_name": CELLS, "country": CELLS, "status": CELLS, "sku": CELLS}  # fmt: skip


@st.composite
def _good_order(draw: st.DrawFn, order_id: str) -> dict[str, str]:
    customer = draw(st.sampled_from(["C1", "C2", "C3", "C4"]))
    status = draw(st.sampled_from(["", "completed", "Refunded", "cancelled"]))
    return {
        "customer_id": customer,
        "order_id": order_id,
        "placed_at": draw(GOOD_DATES),
        "status": status,
    }


@st.composite
def _good_row(draw: st.DrawFn, order: dict[str, str], lines: bool) -> dict[str, str]:
    row = dict(order)
    if lines:
        quantity = draw(st.integers(1, 5))
        unit_price = Decimal(draw(st.integers(0, 10**6))).scaleb(-4)
        row |= {"sku": draw(st.sampled_from(["A", "B", "C"])), "quantity": str(quantity),
                "unit_price": str(unit_price),
                "amount": str(line_amount(quantity, unit_price))}  # fmt: skip
        if not draw(st.integers(0, 4)):  # a line stamped apart: the earliest time wins
            row["placed_at"] = draw(GOOD_DATES)
        return row
    amount = Decimal(draw(CENTS)).scaleb(-2)
    refund = draw(st.one_of(st.just(""), st.integers(0, int(amount * 100)).map(str)))
    row |= {"amount": str(amount), "refunded_amount": refund and str(Decimal(refund) / 100),
            "email": draw(st.sampled_from(["", "a@example.com", "b@example.com"])),
            "first_name": draw(st.sampled_from(["", "Ada", "Bo"])),
            "country": draw(st.sampled_from(["", "DE", "fr"]))}  # fmt: skip
    return row


@st.composite
def order_files(draw: st.DrawFn) -> tuple[str, bool]:
    """A file's text, and whether its rows are order lines: good rows, some with odd cells."""
    lines = draw(st.booleans())
    columns = (LINE_COLUMNS if lines else ONE_ROW_COLUMNS).split(",")
    text = io.StringIO()
    text.write(",".join(columns) + "\n")
    writer = csv.writer(text, lineterminator="\n")
    for number in range(draw(st.integers(1, 14))):
        order = draw(_good_order(f"O{number}"))
        for _ in range(draw(st.integers(1, 3)) if lines else draw(st.sampled_from([1, 1, 1, 2]))):
            row = draw(_good_row(order, lines))
            for column in draw(st.lists(st.sampled_from(columns), max_size=2)):
                row[column] = draw(ODD.get(column, NUMBERS))
            cells = [row.get(column, "") for column in columns]
            if draw(st.integers(0, 7)):
                writer.writerow(cells)
            else:  # unquoted: quotes, separators and line breaks in cells break the row
                text.write(",".join(cells) + "\n")
    return text.getvalue(), lines


def _import(path: Path, **options: Any) -> tuple[ImportSummary, list[RowReport]]:
    rejected: list[RowReport] = []
    summary = orders_import(path=path, on_rejection=rejected.append, **options)
    return summary, rejected


def _took_an_address_away(summary: ImportSummary) -> bool:
    """Whether a customer was refused an address another customer had: if that one gives
    it up later in the file, a re-import gives it (see the README)."""
    return any(w.reason.startswith("email already belongs") for w in summary.first_warnings)


def _check_every_row_is_accounted_for(
    summary: ImportSummary, rejected: list[RowReport], lines: bool
) -> None:
    counts = summary.counts
    assert counts.rows_rejected == len({r.row for r in rejected})
    for rejection in rejected:
        assert rejection.row >= 2
        assert rejection.column in (*KNOWN_COLUMNS, "")
        assert rejection.reason
    assert counts.orders_created == Order.objects.count()
    # A row is rejected, or a repeat counted once, or imported: as a line, as a one-row
    # order, or as an order already imported by an earlier batch (a repeated order id).
    imported = OrderLine.objects.count() + Order.objects.filter(lines__isnull=True).count()
    accounted = counts.rows_rejected + counts.duplicate_rows + imported
    repeated_orders = counts.orders_unchanged + counts.orders_updated
    if lines and repeated_orders:
        assert counts.rows >= accounted + repeated_orders  # an order of several lines
    else:
        assert counts.rows == accounted + repeated_orders


def _property(text: str, lines: bool) -> None:
    with tempfile.TemporaryDirectory() as folder, transaction.atomic():
        path = Path(folder) / "orders.csv"
        path.write_text(text, encoding="utf-8")

        dry, _ = _import(path, dry_run=True, batch_rows=4)
        assert Order.objects.count() == 0
        summary, rejected = _import(path, batch_rows=4)

        _check_every_row_is_accounted_for(summary, rejected, lines)
        assert vars(dry.counts) == vars(summary.counts)
        again, rejected_again = _import(path, batch_rows=4)
        c = again.counts
        assert (c.orders_created, c.customers_created) == (0, 0)
        assert c.customers_updated == 0 or _took_an_address_away(summary)
        assert c.orders_unchanged + c.orders_updated == summary.counts.orders_created + (
            summary.counts.orders_unchanged + summary.counts.orders_updated
        )
        assert {r.row for r in rejected_again} == {r.row for r in rejected}
        transaction.set_rollback(True)


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,  # an import takes a database round trip or twenty
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# On PostgreSQL the same files go through COPY, the stage merge and the first load.
@pytest.mark.django_db
@_settings(200 if ON_POSTGRES else 300)
@given(order_files())
def test_any_file_imports_without_raising_and_accounts_for_every_row(file: tuple[str, bool]):
    _property(*file)
