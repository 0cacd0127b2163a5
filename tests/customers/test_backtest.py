"""The back-test of Fader, Hardie & Lee (2005) on CDNOW, through the real commands."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import ClvBacktest

pytestmark = pytest.mark.django_db

PUBLISHED = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}


def backtest(*args: str) -> tuple[dict, str]:
    out = StringIO()
    call_command("backtest_clv", *args, "--json", stdout=out)
    lines = out.getvalue().splitlines()
    return json.loads(lines[-1]), "\n".join(lines[:-1])


def test_cdnow_backtest_reproduces_the_paper(cdnow_sample):
    with CaptureQueriesContext(connection) as queries:
        result, text = backtest("--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30")

    assert result["calibration_end"] == "1997-09-30"
    assert result["holdout_end"] == "1998-06-30"
    assert result["calendar_start"] == "1997-01-01"
    assert result["customers"] == 2357
    for name, published in PUBLISHED.items():
        assert result["bgnbd"][name] == pytest.approx(published, rel=0.005), name
    assert result["log_likelihood"] == pytest.approx(-9582.43, abs=0.05)
    assert result["actual_holdout_transactions"] == 1882
    assert result["predicted_holdout_transactions"] == pytest.approx(1653, rel=0.01)
    assert result["correlation"] == pytest.approx(0.626, abs=0.001)
    assert result["mean_absolute_error"] == pytest.approx(0.7855, abs=1e-3)

    weekly = result["weekly"]
    assert [w["week"] for w in weekly] == list(range(1, 79))
    assert weekly[38]["actual_cumulative"] == 2457  # the calibration's last week
    assert weekly[-1]["actual_cumulative"] == 4339
    assert weekly[-1]["predicted_cumulative"] == pytest.approx(4339, rel=0.05)
    # The weekly actuals add up to the calibration's repeat purchases plus the holdout's.
    assert weekly[-1]["actual_cumulative"] - weekly[38]["actual_cumulative"] == 1882

    assert "predicted 1,653." in text
    assert "actual 1,882 (-12.1%)" in text
    assert "Week 78 cumulative repeat transactions" in text
    assert "actual 4,339" in text
    # Three aggregates (two of them with their refunds' read) and one insert, however many
    # customers.
    assert len(queries) == 6
    assert ClvBacktest.objects.get().actual_total == 1882


def test_model_page_shows_the_backtest(cdnow_sample, analyst_client):
    backtest("--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30")

    page = analyst_client.get("/customers/model/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "No CLV run yet" in text  # a back-test needs no run
    assert '<span id="bt-actual">1,882</span>' in text
    assert '<span id="bt-predicted">1,653</span>' in text
    assert "Week 78, cumulative" in text
    assert "4,339" in text
    assert "0.626" in text
    assert text.count("plotly-graph-div") == 1
    assert '<div class="card chart" id="backtest-chart">' in text


def test_holdout_must_end_after_the_calibration(cdnow_sample):
    with pytest.raises(CommandError, match="holdout end 1997-09-30 is not after calibration end"):
        backtest("--calibration-end", "1997-09-30", "--holdout-end", "1997-09-30")
    with pytest.raises(CommandError, match="expected a date as YYYY-MM-DD, got '30/09/1997'"):
        backtest("--calibration-end", "30/09/1997", "--holdout-end", "1998-06-30")

    assert not ClvBacktest.objects.exists()


def test_a_shop_without_orders_cannot_be_backtested():
    with pytest.raises(CommandError, match="no completed orders on or before 1997-09-30"):
        backtest("--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30")


@pytest.mark.django_db
def test_default_dates_hold_out_the_last_26_weeks_before_yesterday() -> None:
    call_command("seed_demo", "--customers", "300", "--seed", "5", stdout=StringIO())
    out = StringIO()
    call_command("backtest_clv", "--json", stdout=out)
    result = json.loads(out.getvalue().splitlines()[-1])
    yesterday = timezone.localdate() - timedelta(days=1)
    assert result["holdout_end"] == yesterday.isoformat()
    assert result["calibration_end"] == (yesterday - timedelta(weeks=26)).isoformat()
