"""The column-wise fast lane gives exactly what the row-by-row lane gives, or steps aside."""

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customers.order_import.columnar import fast_batch, raw_chunks
from customers.order_import.importer import _checked_batch
from customers.order_import.rows import RowParser

HEADER = [
    "customer_id",
    "order_id",
    "placed_at",
    "amount",
    "email",
    "first_name",
    "country",
    "channel",
    "marketing_consent",
    "currency",
    "status",
]
COLUMNS = {name: i for i, name in enumerate(HEADER)}

good_rows = st.lists(
    st.tuples(
        st.sampled_from(["C1", "C2", " C3 ", "c-4"]),
        st.sampled_from(["2025-01-02", "2025-01-02 10:30:00", "2025-03-04T05:06:07+02:00"]),
        st.sampled_from(["0", "12", "12.5", "0.99", "1000000.00"]),
        st.sampled_from(["", "a@example.com", "B.Two@Example.org"]),
        st.sampled_from(["", "Ada", "Zoë"]),
        st.sampled_from(["", "de", "GB"]),
        st.sampled_from(["", "Referral"]),
        st.sampled_from(["", "true", "No", "1"]),
        st.sampled_from(["", "usd"]),
        st.sampled_from(["", "completed", "Refunded", "CANCELLED"]),
    ),
    min_size=1,
    max_size=30,
)


def _chunk(rows: list[list[str]]) -> list:
    return [(n, fields) for n, fields in enumerate(rows, start=2)]


@given(good_rows, st.sampled_from(["Europe/Berlin", "UTC"]))
@settings(max_examples=300, deadline=None)
def test_both_lanes_agree_on_good_rows(rows, zone: str) -> None:
    # On UTC the fast lane keeps plain times as text; elsewhere it parses them.
    parser = RowParser(COLUMNS, "USD", ZoneInfo(zone))
    records = [
        [c, f"O{i}", p, a, e, fn, co, ch, mc, cur, s]
        for i, (c, p, a, e, fn, co, ch, mc, cur, s) in enumerate(rows)
    ]
    fast = fast_batch(_chunk(records), parser)
    careful = _checked_batch(_chunk(records), parser)

    assert fast is not None
    assert fast.drafts() == careful.orders
    assert (fast.rows, fast.rejections, fast.duplicate_rows) == (careful.rows, [], 0)


@pytest.mark.parametrize(
    "bad",
    [
        ["C1", "O2", "2025-13-01", "1"],  # impossible date
        ["C1", "O2", "2025-01-01", "1e2"],  # a number the fast lane leaves to the careful one
        ["C1", "O1", "2025-01-01", "2"],  # an order id seen before
        ["", "O2", "2025-01-01", "1"],
        ["C1", "O2", "2025-01-01", "1", "not-an-email"],
        ["C1", "O2", "2025-01-01"],  # too few fields
    ],
)
def test_anything_unusual_takes_the_careful_lane(bad) -> None:
    parser = RowParser(COLUMNS, "USD", ZoneInfo("UTC"))
    good = ["C1", "O1", "2025-01-01", "1", "", "", "", "", "", "", ""]
    padded = bad + [""] * (len(HEADER) - len(bad)) if len(bad) > 3 else bad
    assert fast_batch(_chunk([good, padded]), parser) is None


def test_line_files_take_the_careful_lane() -> None:
    parser = RowParser({**COLUMNS, "sku": len(HEADER)}, "USD", ZoneInfo("UTC"))
    row = ["C1", "O1", "2025-01-01", "1", "", "", "", "", "", "", "", "SKU-1"]
    assert fast_batch(_chunk([row]), parser) is None


def test_chunks_never_split_an_order() -> None:
    text = "h\n" + "".join(f"C,O{i // 3},2025-01-01,1\n" for i in range(10))
    records = list(enumerate(csv.reader(io.StringIO(text)), start=1))[1:]
    chunks = list(raw_chunks(records, 1, size=4))
    assert [[fields[1] for _, fields in chunk] for chunk in chunks] == [
        ["O0", "O0", "O0", "O1", "O1", "O1"],
        ["O2", "O2", "O2", "O3"],
    ]
