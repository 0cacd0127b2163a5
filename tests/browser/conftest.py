"""Headless Chromium for the browser tests (Debian's /usr/bin/chromium, no download)."""

import os
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from customers.models import CustomerScore

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists() or os.environ.get("CLVCRM_REQUIRE_SERVICES") == "1":
        return
    reason = f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skipif(True, reason=reason))


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running on this thread, and Django refuses
    # ORM calls next to one unless told otherwise; only while these tests run.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under test-artifacts/ (CI keeps them for a look)."""

    def take(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def scored_shop(settings, make_staff) -> CustomerScore:
    """A seeded demo shop with a CLV run, its segments and a back-test; Analyst ``ana``."""
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
    score = CustomerScore.objects.filter(frequency__gte=3).order_by("-predicted_clv").first()
    assert score is not None
    return score
