"""An analyst opens the model page and a customer's value card, in a real browser."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
