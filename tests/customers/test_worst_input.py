"""The worst rows a shop can import and the worst rules staff can save: the night still runs.

Issue 9's acceptance: after importing every kind of bad and extreme value through the real
command, saving rules at the edges of their columns (and one written past every check into
the database), the CLV recalculation, the segment reassignment and the loyalty refresh all
succeed, on PostgreSQL as on SQLite.
"""

import csv
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from customers.models import (
    ClvRun,
    Customer,
    CustomerScore,
    ImportRejection,
    LoyaltySettings,
    LoyaltyStatus,
    LoyaltyTier,
    Order,
    PointsBalance,
    Segment,
    SegmentReassignment,
)
from customers.services.segments import custom_segment_save

pytestmark = pytest.mark.django_db

HEADER = ["customer_id", "order_id", "placed_at", "amount", "first_name", "country"]
LARGEST_ORDER = "9999999999.99"
# Every kind of value the import must refuse row by row, without stopping.
BAD_ROWS = [
    ["BAD-1", "B-1", "0001-01-01T00:00:00+05:00", "10.00", "", ""],
    ["BAD-2", "B-2", "0001-01-01", "10.00", "", ""],
    ["BAD-3", "B-3", "2025-01-02", "١٢٣", "", ""],
    ["BAD-4", "B-4", "2025-01-02", "1e999999", "", ""],
    ["BAD-5", "B-5", "9999-12-31T23:59:59-05:00", "1.00", "", ""],
    ["BAD-6", "B-6", "2025-01-02", "1_000", "", ""],
    ["BAD-7", "B-7", "２０２５-01-02", "1.00", "", ""],
    ["BAD-8", "B-8", "2025-01-02", "-5.00", "", ""],
    ["=HYPERLINK(1)", "B-9", "2025-01-02", "NaN", "", ""],
]
# A name past its column is cut with a warning; the order counts.
LONG_NAME = ["LONG", "L-1", "2025-01-02", "12.00", "N" * 400, "DE"]
# An overflowing rule, written past the form, the admin and custom_segment_save.
OVERFLOW_RULE = [{"field": "predicted_clv", "op": "gte", "value": "1e999999"}]


def _worst_file(tmp_path: Path) -> Path:
    """Good customers, a whale of 120 largest orders (two a day), every bad value, long text."""
    path = tmp_path / "worst.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for n in range(120):
            day, minute = divmod(n, 2)
            placed = f"2025-0{1 + day // 28}-{1 + day % 28:02d}T12:{minute:02d}:00"
            writer.writerow(["WHALE", f"W-{n}", placed, LARGEST_ORDER, "Moby", "GB"])
        writer.writerows(BAD_ROWS)
        writer.writerow(LONG_NAME)
    return path


def _extreme_loyalty() -> None:
    """The largest base rate and multiplier the settings accept."""
    rules = LoyaltySettings.load()
    rules.points_per_currency_unit = Decimal("9999.9999")
    rules.save()
    LoyaltyTier.objects.create(
        name="Bronze", rank=1, min_orders=1, qualify_on="any", points_multiplier=Decimal("99.99")
    )


def _worst_rules() -> tuple[Segment, Segment]:
    """A rule at the edge of every number column, and one written past every check."""
    edges = custom_segment_save(
        segment=Segment(
            code="edges",
            name="Edges",
            rules=[
                {"field": "predicted_clv", "op": "lte", "value": "999999999999.99"},
                {"field": "p_alive", "op": "lte", "value": "1.7976931348623157e308"},
                {"field": "rfm_monetary", "op": "in", "value": "1, 2, 3, 4, 5"},
            ],
        )
    )
    broken = Segment.objects.create(code="broken", name="Broken", kind=Segment.Kind.CUSTOM)
    Segment.objects.filter(pk=broken.pk).update(rules=OVERFLOW_RULE)
    return edges, broken


def test_the_night_runs_after_the_worst_rows_and_the_worst_rules(
    cdnow_sample, tmp_path, django_capture_on_commit_callbacks
):
    _extreme_loyalty()
    edges, broken = _worst_rules()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the loyalty refresh follows
        call_command("import_orders", str(_worst_file(tmp_path)), stdout=out)

    rejected = {r.order_id for r in ImportRejection.objects.filter(kind="rejected")}
    assert rejected == {row[1] for row in BAD_ROWS}
    assert Order.objects.filter(customer__external_id="WHALE").count() == 120
    assert Customer.objects.get(external_id="LONG").first_name == "N" * 150

    with django_capture_on_commit_callbacks(execute=True):  # the reassignment follows
        call_command("recalculate_clv", "--as-of", "2025-06-30", "--json", stdout=out)
    run = ClvRun.objects.get(pk=json.loads(out.getvalue().splitlines()[-1])["id"])
    call_command("refresh_loyalty", "--as-of", "2025-06-30", stdout=out)

    assert run.status == ClvRun.Status.SUCCEEDED
    assert run.prediction_skipped == ""
    assert SegmentReassignment.objects.filter(run=run).exists()
    whale = CustomerScore.objects.get(customer__external_id="WHALE")
    assert (whale.total_spent, whale.historical_clv) == (
        Decimal("999999999999.99"),
        Decimal("999999999999.99"),
    )
    broken.refresh_from_db()
    edges.refresh_from_db()
    assert broken.is_broken
    assert not edges.is_broken
    assert edges.memberships.count() == CustomerScore.objects.count()
    # The whale's points: every order at the largest rate and multiplier, within 64 bits;
    # exact on PostgreSQL, while SQLite (the demo) multiplies in doubles, 16 digits exact.
    balance = PointsBalance.objects.get(customer__external_id="WHALE").balance
    exact = 120 * 9_998_999_900_000_001
    assert balance == (exact if connection.vendor == "postgresql" else 1_199_879_988 * 10**9)
    assert LoyaltyStatus.objects.filter(customer__external_id="WHALE", tier__name="Bronze").exists()
