"""The model page: the latest run's fit, timings and distribution, and the back-test."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from customers.clv_runs import selectors
from customers.models import ClvRun, Customer, CustomerScore
from tests.customers.test_segments import _run, _score
from tests.factories import order_with_coffee
from tests.responses import streamed_text

pytestmark = pytest.mark.django_db

URL = "/customers/model/"


@pytest.fixture
def demo_run(settings) -> ClvRun:
    # 400 demo customers include 161 repeat buyers, below the default minimum of 200.
    settings.CLV_MIN_REPEAT_CUSTOMERS = 100
    call_command(
        "seed_demo", "--customers", "400", "--seed", "3", "--as-of", "2026-06-30", stdout=StringIO()
    )
    out = StringIO()
    call_command("recalculate_clv", "--as-of", "2026-06-29", "--json", stdout=out)
    return ClvRun.objects.get(pk=json.loads(out.getvalue().splitlines()[-1])["id"])


def test_empty_state_says_how_to_run(analyst_client: Client):
    page = analyst_client.get(URL)

    assert page.status_code == 200
    text = page.content.decode()
    assert "No CLV run yet" in text
    assert "python manage.py recalculate_clv" in text
    assert "python manage.py backtest_clv --calibration-end YYYY-MM-DD" in text
    assert "No runs yet." in text
    assert "plotly" not in text


def test_anonymous_visitors_go_to_login(client: Client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={URL}"


def test_page_shows_the_fit_timings_and_distribution(
    analyst_client: Client, demo_run: ClvRun, django_assert_num_queries
):
    assert demo_run.has_prediction

    # Session, user, permissions (2), latest run, back-test, 99th percentile, bins, recent
    # runs: the same at any number of customers.
    with django_assert_num_queries(9):
        page = analyst_client.get(URL)

    assert page.status_code == 200
    text = page.content.decode()
    assert '<dd id="model-name">BG/NBD</dd>' in text
    assert "every one-time buyer counts as alive" in text
    assert f'<dd id="customers-scored">{demo_run.customers}</dd>' in text
    assert f"{demo_run.r:.4f}, {demo_run.alpha:.4f} (weeks)" in text
    assert f"{demo_run.a:.4f}, {demo_run.b:.4f}" in text
    assert demo_run.r is not None
    assert demo_run.alpha is not None
    assert f"r/alpha = {demo_run.r / demo_run.alpha:.3f} purchases per week" in text
    assert f"{demo_run.log_likelihood:,.2f}" in text
    for stage in ("aggregate", "fit", "score", "write"):
        assert f"<th>{stage}</th>" in text
    assert 'id="clv-histogram"' in text
    assert "plotly-graph-div" in text
    assert "/static/vendor/plotly/plotly.min.js" in text
    assert "Download scores (CSV)" in text  # Analysts may export
    assert "No back-test yet" in text


def test_histogram_counts_every_customer_once(demo_run: ClvRun):
    histogram = selectors.predicted_clv_histogram(demo_run)

    assert histogram is not None
    assert sum(histogram.counts) + histogram.overflow == CustomerScore.objects.count()
    top = CustomerScore.objects.values_list("predicted_clv", flat=True)
    assert None not in top
    assert histogram.overflow == sum(1 for v in top if v is not None and v >= histogram.edges[-1])
    width = histogram.edges[1] - histogram.edges[0]
    assert histogram.edges == [pytest.approx(i * width) for i in range(len(histogram.counts) + 1)]


def test_skipped_prediction_says_why(analyst_client: Client, demo_run: ClvRun, settings):
    settings.CLV_MIN_REPEAT_CUSTOMERS = 100_000
    call_command("recalculate_clv", "--as-of", "2026-06-29", stdout=StringIO())

    text = analyst_client.get(URL).content.decode()

    assert "Prediction skipped:" in text
    assert "the models need at least 100000" in text
    assert 'id="clv-histogram"' not in text


def test_page_shows_the_backtest(analyst_client: Client, demo_run: ClvRun):
    call_command(
        "backtest_clv",
        "--calibration-end",
        "2025-12-31",
        "--holdout-end",
        "2026-06-29",
        stdout=StringIO(),
    )

    text = analyst_client.get(URL).content.decode()

    assert 'id="backtest-chart"' in text
    assert text.count("plotly-graph-div") == 2
    assert "calibration end" in text


def test_support_sees_no_download_link(make_staff, demo_run: ClvRun):
    client = Client()
    client.force_login(make_staff("Support"))

    text = client.get(URL).content.decode()

    assert "Download scores (CSV)" not in text


def test_customer_page_explains_the_customer_value(
    admin_client: Client, demo_run: ClvRun, django_assert_num_queries
):
    score = CustomerScore.objects.filter(frequency__gte=2).order_by("customer_id").first()
    assert score is not None

    # The customer page's 8 (its score comes with the customer), the loyalty card's 5, the
    # notes and tasks cards' 3, the consent and segment histories' 2 and the panels of
    # campaigns (messages, holdouts) and feedback (NPS answers).
    with django_assert_num_queries(21):
        text = admin_client.get(f"/customers/{score.customer_id}/").content.decode()

    assert 'id="customer-value"' in text
    assert f"{score.historical_clv:,} USD" in text
    assert f"{score.predicted_clv:,} USD" in text
    assert score.p_alive is not None
    assert f"{round(score.p_alive * 100)}%" in text
    assert f"{score.expected_purchases_90d:.2f} purchases" in text
    assert f"{score.rfm_score}</span> · R{score.rfm_recency} F{score.rfm_frequency} " in text
    assert "in the next 12 months" in text


def test_customer_page_without_a_score_says_why(admin_client: Client, demo_run: ClvRun):
    unscored = Customer.objects.filter(score__isnull=True)
    never_bought = unscored.exclude(orders__status="completed").first()
    assert never_bought is not None
    late = Customer.objects.create(external_id="LATE-1")
    order_with_coffee(late, external_id="LATE-O1")  # placed now, after the run's as-of date

    assert (
        "No completed order yet"
        in admin_client.get(f"/customers/{never_bought.pk}/").content.decode()
    )
    assert "Not scored yet" in admin_client.get(f"/customers/{late.pk}/").content.decode()


def test_a_fanned_out_run_shows_its_worker_and_swap_timings(analyst_client: Client, settings):
    settings.CLV_MIN_REPEAT_CUSTOMERS = 100
    call_command(
        "seed_demo", "--customers", "400", "--seed", "3", "--as-of", "2026-06-30", stdout=StringIO()
    )
    call_command(
        "recalculate_clv",
        *("--as-of", "2026-06-29", "--customers-per-part", "150"),
        stdout=StringIO(),
    )

    text = analyst_client.get(URL).content.decode()

    for stage in ("aggregate", "fit", "score + write (workers)", "swap in"):
        assert f"<th>{stage}</th>" in text
    assert "<th>score</th>" not in text


# ---------------------------------------------------------------- query counts


def _scored_shop(size: int) -> ClvRun:
    """``size`` earlier runs, then the latest with a fitted model that scored ``size``
    customers."""
    for _ in range(size):
        _run()
    run = _run()
    ClvRun.objects.filter(pk=run.pk).update(alpha=2.0, a=0.5, b=2.5, customers=size)
    customers = Customer.objects.bulk_create(Customer(external_id=f"C{i}") for i in range(size))
    for i, customer in enumerate(customers):
        _score(customer, run, predicted=f"{10 * i}.00")
    return run


@pytest.mark.parametrize("size", [3, 30])
def test_model_pages_cost_the_same_queries_at_any_size(
    analyst_client: Client, django_assert_num_queries, size: int
):
    _scored_shop(size)

    # Session, user, permissions (2), latest run, back-test, 99th percentile, bins, recent
    # runs.
    with django_assert_num_queries(9):
        page = analyst_client.get(URL)
    # Session, user, permissions (2), the scores with their segments (read while streaming).
    with django_assert_num_queries(5):
        export = analyst_client.get("/customers/model/scores.csv")
        rows = streamed_text(export).splitlines()

    assert 'id="clv-histogram"' in page.content.decode()
    assert len(rows) == 1 + size
