"""An analyst opens the model page and a customer's value card, in a real browser."""

from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import CustomerScore

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scored_shop(settings, make_staff) -> CustomerScore:
    # 600 demo customers hold fewer than the default 200 repeat buyers needed to predict.
    settings.CLV_MIN_REPEAT_CUSTOMERS = 100
    call_command(
        "seed_demo", "--customers", "600", "--seed", "3", "--as-of", "2026-06-30", stdout=StringIO()
    )
    call_command("recalculate_clv", "--as-of", "2026-06-29", stdout=StringIO())
    call_command(
        "backtest_clv",
        "--calibration-end",
        "2025-12-31",
        "--holdout-end",
        "2026-06-29",
        stdout=StringIO(),
    )
    make_staff("Analyst", "ana")
    return CustomerScore.objects.filter(frequency__gte=3).order_by("-predicted_clv").first()


def test_model_page_draws_the_charts(live_server, page, screenshot, scored_shop):
    page.goto(f"{live_server.url}/customers/model/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_selector("#backtest-chart .js-plotly-plot .main-svg")

    assert page.inner_text("h1") == "CLV model"
    assert page.locator(".js-plotly-plot").count() == 2
    assert page.locator("#clv-histogram .js-plotly-plot .bars path").count() > 5
    assert page.locator("#backtest-chart .js-plotly-plot .scatterlayer .trace").count() == 2
    assert "calibration end" in page.inner_text("#backtest-chart")
    assert page.inner_text("#model-name") == "BG/NBD"
    assert page.locator("#timings tr").count() == 5
    screenshot("model-page")

    page.goto(f"{live_server.url}/customers/{scored_shop.customer_id}/")
    card = page.locator("#customer-value")
    assert "Predicted CLV" in card.inner_text()
    assert f"R{scored_shop.rfm_recency} F{scored_shop.rfm_frequency}" in card.inner_text()
    screenshot("customer-value")
