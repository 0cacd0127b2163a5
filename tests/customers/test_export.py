"""The score export: the command's file and the staff download, byte for byte."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.test import Client

from customers.models import ClvRun, Customer, CustomerScore

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id,frequency,recency_days,age_days,monetary,p_alive,expected_purchases_90d,"
    "predicted_clv,historical_clv,rfm_score,segment\r\n"
)
# As of 2025-03-31. "=1+1" buys on three days (two orders on Jan 5 are one purchase day),
# B-2 once (their April order is after the as-of date), C-3 twice (the refund does not
# count) and D-4 only has a cancelled order, so D-4 has no score.
SHOP = """customer_id,order_id,placed_at,amount,status
=1+1,A1,2025-01-05,10.00,completed
=1+1,A2,2025-01-05,5.00,completed
=1+1,A3,2025-02-04,20.00,completed
=1+1,A4,2025-03-06,40.00,completed
B-2,B1,2025-02-01,12.50,completed
B-2,B2,2025-04-02,99.00,completed
C-3,C1,2025-01-10,8.00,completed
C-3,C2,2025-02-10,100.00,refunded
C-3,C3,2025-03-30,8.00,completed
D-4,D1,2025-03-01,30.00,cancelled
"""
# By hand. frequency = repeat purchase days; recency = first to last purchase day; age =
# first purchase day to 2025-03-31; monetary = mean of the repeat days; historical CLV =
# completed spend. RFM with three customers: score = ceil(5 * rank / 3), so ranks 1, 2, 3
# score 2, 4, 5. Days since last purchase 25, 58, 1 -> R 4, 2, 5; purchase days 3, 1, 2 ->
# F 5, 2, 4; mean value of a purchase day 25.00, 12.50, 8.00 -> M 5, 4, 2. Two repeat
# buyers are too few to predict, so the predictions are empty.
EXPECTED_ROWS = [
    "'=1+1,2,60,85,30.00,,,,75.00,455,\r\n",
    "B-2,0,0,58,0.00,,,,12.50,224,\r\n",
    "C-3,1,79,80,8.00,,,,16.00,542,\r\n",
]


@pytest.fixture
def tiny_shop(write_csv) -> None:
    call_command("import_orders", str(write_csv(SHOP)), stdout=StringIO())
    call_command("recalculate_clv", "--as-of", "2025-03-31", stdout=StringIO())


def export(path: Path) -> bytes:
    out = StringIO()
    call_command("export_scores", str(path), stdout=out)
    assert (
        out.getvalue() == f"Wrote {CustomerScore.objects.count():,} customer score(s) to {path}.\n"
    )
    return path.read_bytes()


def download(client: Client) -> bytes:
    response = client.get("/customers/model/scores.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="customer-scores.csv"'
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def test_export_writes_every_scored_customer_with_hand_computed_figures(tiny_shop, tmp_path):
    run = ClvRun.objects.get()
    assert run.prediction_skipped == "only 2 repeat buyers; the models need at least 200"

    data = export(tmp_path / "scores.csv")

    assert data.decode() == HEADER + "".join(EXPECTED_ROWS)
    # Rows follow the customer ids (the import created them in file order).
    ids = list(Customer.objects.order_by("id").values_list("external_id", flat=True))
    assert ids[:3] == ["=1+1", "B-2", "C-3"]


def test_staff_download_is_the_same_file_and_needs_the_export_permission(
    tiny_shop, tmp_path, make_staff
):
    data = export(tmp_path / "scores.csv")
    analyst, support = Client(), Client()
    analyst.force_login(make_staff("Analyst"))
    support.force_login(make_staff("Support"))

    assert download(analyst) == data
    assert support.get("/customers/model/scores.csv").status_code == 403


def test_export_with_predictions(settings, make_staff, tmp_path):
    settings.CLV_MIN_REPEAT_CUSTOMERS = 20
    call_command(
        "seed_demo", "--customers", "150", "--seed", "3", "--as-of", "2026-06-30", stdout=StringIO()
    )
    call_command("recalculate_clv", "--as-of", "2026-06-29", stdout=StringIO())
    assert ClvRun.objects.get().has_prediction

    data = export(tmp_path / "scores.csv")

    rows = list(csv.DictReader(StringIO(data.decode())))
    scores = CustomerScore.objects.select_related("customer").order_by("customer_id")
    assert len(rows) == scores.count() > 100
    for row, score in zip(rows, scores, strict=True):
        assert row["external_id"] == score.customer.external_id
        assert row["frequency"] == str(score.frequency)
        assert row["monetary"] == str(score.monetary)
        assert float(row["p_alive"]) == pytest.approx(score.p_alive, abs=1e-6)
        assert 0 <= float(row["p_alive"]) <= 1
        assert float(row["expected_purchases_90d"]) == pytest.approx(
            score.expected_purchases_90d, abs=1e-6
        )
        assert row["predicted_clv"] == str(score.predicted_clv)
        assert row["historical_clv"] == str(score.historical_clv)
        assert row["segment"] == ""
    client = Client()
    client.force_login(make_staff("Analyst"))
    assert download(client) == data
