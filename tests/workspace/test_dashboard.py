"""The dashboard: the figures of a period, the page by role, and GET /api/v1/kpis/."""

import html
import re
from datetime import date

import pytest
from django.test import Client
from rest_framework.test import APIClient

from clvcrm.workspace.dashboard import MonthPeriod, dashboard_figures
from tests.customers.kpi_shop import WINDOW_MONTHS
from tests.feedback.test_api_surveys import errors
from tests.query_counts import per_backend
from tests.workspace.dashboard_shop import dashboard_shop

pytestmark = pytest.mark.django_db

Q2 = {"start": "2025-04", "end": "2025-06"}


@pytest.fixture
def shop(settings):
    settings.KPI_CUSTOMER_WINDOW_MONTHS = WINDOW_MONTHS
    settings.SHOP_CURRENCY = "EUR"
    return dashboard_shop()


def _period(first: tuple[int, int], last: tuple[int, int]) -> MonthPeriod:
    return MonthPeriod.of_months(date(*first, 1), date(*last, 1))


def _figures(first: tuple[int, int], last: tuple[int, int]) -> tuple:
    f = dashboard_figures(_period(first, last))
    a = f.activity
    return (
        a.customers_at_start,
        a.customers_at_end,
        a.new_customers,
        a.first_time_buyers,
        a.lost,
        a.orders,
        str(a.revenue),
        None if f.retention_rate is None else round(f.retention_rate, 2),
        None if f.churn_rate is None else round(f.churn_rate, 2),
        None if f.repeat_purchase_rate is None else round(f.repeat_purchase_rate, 2),
    )


def test_the_formulas_per_period(shop):
    # Q2: A, B, D at March's end; A and E at June's; B and D lost; E's first order.
    # CRR = (2 - 1) / 3, churn = 2 / 3; 1 of 4 buyers has ordered twice (A).
    assert _figures((2025, 4), (2025, 6)) == (3, 2, 1, 1, 2, 2, "40.00", 33.33, 66.67, 25.0)
    # January: nobody at the start, so no CRR nor churn.
    assert _figures((2025, 1), (2025, 1)) == (0, 1, 1, 1, 0, 2, "150.00", None, None, 100.0)
    # May: B lost; C (signed up, never ordered) is no customer; A of A, B, D ordered twice.
    assert _figures((2025, 5), (2025, 5)) == (3, 2, 0, 0, 1, 0, "0.00", 66.67, 33.33, 33.33)
    # Before the shop: all zero, no rate.
    assert _figures((2024, 1), (2024, 12)) == (0, 0, 0, 0, 0, 0, "0.00", None, None, None)
    # Running past the aggregates (June 30): "at the end" is June's end.
    assert _figures((2025, 6), (2025, 9)) == (2, 2, 1, 1, 1, 1, "10.00", 50.0, 50.0, 25.0)


def _text(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _card(response, card: str) -> str:
    html = response.content.decode()
    found = re.search(rf'<section class="card" id="{card}">(.*?)</section>', html, re.S)
    assert found, card
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found[1])).strip()


def test_the_page_shows_the_periods_figures_and_charts(shop, analyst_client):
    response = analyst_client.get("/", Q2)

    assert response.status_code == 200
    assert _card(response, "kpi-customers") == (
        "Customers at the end 2 from 3 at the start Lost in the period: 2; first orders: 1"
    )
    assert (
        _card(response, "kpi-new")
        == "New customers 1 acquired in the period (2 orders, 40.00 EUR revenue)"
    )
    assert (
        _card(response, "kpi-active")
        == "Active customers 2 of 3 scored P(alive) ≥ 0.5 in the latest CLV run"
    )
    assert _card(response, "kpi-clv") == "Average CLV 123.33 historical 41.67 predicted (EUR)"
    assert _card(response, "kpi-retention") == "Retention (CRR) 33.3% Churn rate: 66.7%"
    assert _card(response, "kpi-repeat") == (
        "Repeat-purchase rate 25.0% 1 of 4 buyers have ordered twice or more"
    )
    assert _card(response, "kpi-nps").startswith("NPS — 0 responses")
    assert "Sum of predicted CLV of run" in _card(response, "kpi-predicted-revenue")
    page = response.content.decode()
    # The histogram, the cohort heatmap and the cohorts' revenue; no segment, NPS or campaign yet.
    assert page.count('class="plotly-graph-div"') == 3
    for axis in (
        "Predicted CLV (EUR)",
        "Months since acquisition (0: the acquisition month)",
        "Cohort (acquisition month, customers)",
        "Revenue per customer (EUR)",
    ):
        assert f'"text": "{axis}"' in page or f'"text":"{axis}"' in page, axis
    assert "/customers/?acquired_from=2025-04-01&amp;acquired_to=2025-06-30" in page
    assert "/customers/?active=yes" in page
    assert "/customers/?acquired_from=2025-03-01&amp;acquired_to=2025-03-31" in page  # a cohort
    assert 'id="acquisition-costs"' in page
    assert "A customer at a date" in _text(response)
    assert "Figures computed" in _text(response)


def test_the_page_answers_from_the_aggregates_in_a_fixed_number_of_queries(
    shop, analyst_client, django_assert_num_queries
):
    # session, user, permissions (2); refresh, months, lapses, run + summary; the CAC
    # table (run, channels, spend, customers); NPS (responses, invitations); charts: runs,
    # cohort cells, NPS by month (2), campaign arms. No segment figures: no second query.
    with django_assert_num_queries(per_backend(sqlite=20, postgresql=20)):
        response = analyst_client.get("/", Q2)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2025-13", "end": "2025-06"}, "Start: '2025-13' has no month 13"),
        ({"start": "April", "end": "2025-06"}, "Start: 'April' is not a month written YYYY-MM"),
        ({"start": "2025-06", "end": "2025-04"}, "End: The end month is before the start month."),
        ({"start": "2000-01", "end": "2025-06"}, "End: A period covers at most 120 months."),
        ({"start": "0001-01", "end": "2025-06"}, "Start: '0001-01' lies outside the supported"),
        ({"end": "2025-06"}, "Start: This field is required."),
    ],
)
def test_a_bad_period_is_a_form_error_and_the_default_shows(shop, analyst_client, query, message):
    response = analyst_client.get("/", query)

    assert response.status_code == 200
    assert message in _text(response)
    assert 'id="period-errors"' in response.content.decode()


def test_every_staff_role_sees_it_and_nobody_else(make_staff):
    for role in ("Admin", "Analyst", "Marketing", "Support"):
        client = Client()
        client.force_login(make_staff(role))
        assert client.get("/").status_code == 200, role
    assert Client().get("/").status_code == 302


def _api(make_staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_staff("Analyst"))
    return client


def test_the_api_answers_the_dashboards_figures(shop, make_staff):
    _, run = shop
    answer = _api(make_staff).get("/api/v1/kpis/", Q2)

    assert answer.status_code == 200
    body = answer.json()
    assert body.pop("computed_at")
    nobody = {"spend": None, "customers": 0, "cac": None, "average_value": None,
              "clv_to_cac": None, "payback_months": None}  # fmt: skip
    assert body == {
        "start": "2025-04-01",
        "end": "2025-06-30",
        "as_of": "2025-06-30",
        "window_months": 3,
        "customers_at_start": 3,
        "customers_at_end": 2,
        "new_customers": 1,
        "first_time_buyers": 1,
        "lost": 2,
        "orders": 2,
        "revenue": "40.00",
        "retention_rate": 33.33,
        "churn_rate": 66.67,
        "repeat_purchase_rate": 25.0,
        "clv_run": {"id": run.pk, "as_of": "2025-06-30", "horizon_months": 12},
        "scored_customers": 3,
        "active_customers": 2,
        "average_historical_clv": "123.33",
        "average_predicted_clv": "41.67",
        "predicted_revenue": "125.00",
        # E, acquired in June through Paid: 10.00 spent + 5.00 predicted; no spend entered.
        "channels": [{**nobody, "channel": "Paid", "customers": 1, "average_value": "15.00"}],
        "no_channel": {**nobody, "channel": None},
        "all_channels": {**nobody, "channel": None, "customers": 1, "average_value": "15.00"},
        "nps": {"nps": None, "responses": 0, "promoters": 0, "passives": 0, "detractors": 0},
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2025-13", "end": "2025-06"}, "start"),
        ({"start": "2025-01", "end": "25-06"}, "end"),
        ({"start": "2025-06", "end": "2025-04"}, "end"),
        ({"start": "2025-01"}, "end"),
        ({"start": "1990-01", "end": "2025-01"}, "end"),
    ],
)
def test_bad_months_are_400s_naming_the_parameter(make_staff, query, field):
    assert [e["field"] for e in errors(_api(make_staff).get("/api/v1/kpis/", query))] == [field]


def _listed(response) -> list[str]:
    return re.findall(r'<td class="mono">([^<]+)</td>', response.content.decode())


def test_the_customer_list_filters_the_figures_link_to(shop, analyst_client):
    listed = lambda **query: sorted(_listed(analyst_client.get("/customers/", query)))  # noqa: E731

    assert listed(acquired_from="2025-03-01", acquired_to="2025-03-31") == ["C", "D"]
    assert listed(acquired_to="2025-02-10") == ["A", "B"]
    assert listed(active="yes") == ["A", "B"]  # P(alive) 0.9 and 0.5
    assert listed(active="no") == ["E"]
    assert listed(segment="nobody") == []
    bad = analyst_client.get("/customers/", {"acquired_from": "2025-02-30"})
    assert bad.status_code == 200
    assert "acquired_from * " in _text(bad)  # the field named, then its reason
    assert _listed(bad) == ["E", "D", "C", "B", "A"]  # the filter ignored, newest first


def test_a_period_fetched_by_htmx_comes_without_the_charts_scripts_and_styles(shop, analyst_client):
    full = analyst_client.get("/", {"start": "2025-01", "end": "2025-03"}).content.decode()
    swapped = analyst_client.get(
        "/", {"start": "2025-01", "end": "2025-03"}, headers={"HX-Request": "true"}
    ).content.decode()

    # The page the period goes into has plotly's scripts and nonce'd style elements; the
    # swapped-in part brings its charts' data only (a second nonce would be refused).
    assert "plotly.min.js" in full
    assert "<style" in full
    assert "plotly.min.js" not in swapped
    assert "<style" not in swapped
    assert 'id="kpis"' in swapped
    assert 'class="plotly-graph-div"' in swapped
    assert 'hx-select="main"' in full


def test_a_run_that_skipped_the_prediction_says_why_in_the_charts_place(shop, analyst_client):
    from customers.models import ClvRun, KpiRunSummary

    run = ClvRun.objects.filter(status=ClvRun.Status.SUCCEEDED).latest("finished_at")
    ClvRun.objects.filter(pk=run.pk).update(
        prediction_skipped="the purchase model did not converge"
    )
    KpiRunSummary.objects.filter(run=run).update(histogram={})

    page = analyst_client.get("/", Q2).content.decode()

    found = re.search(r'<p class="muted" id="prediction-skipped">(.*?)</p>', page, re.S)
    assert found
    assert re.sub(r"<[^>]+>", "", found[1]) == (
        f"CLV run #{run.pk} as of {run.as_of:%Y-%m-%d} made no prediction: the purchase "
        "model did not converge. The model and its run"
    )
