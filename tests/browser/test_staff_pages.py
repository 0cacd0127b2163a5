"""A staff member logs in, finds a customer and opens their page, in a real browser."""

from datetime import date

import pytest

from customers.models import AcquisitionChannel, Customer
from tests.factories import order_with_coffee

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(make_staff) -> Customer:
    channel = AcquisitionChannel.objects.create(name="Referral")
    customers = [
        Customer(
            external_id=f"C-{i:03}",
            email=f"shopper{i}@example.com",
            first_name=name,
            last_name=last,
            country=country,
            acquisition_channel=channel,
            acquired_on=date(2025, 1, i + 1),
            marketing_consent=i % 2 == 0,
        )
        for i, (name, last, country) in enumerate(
            [
                ("Ada", "Lovelace", "GB"),
                ("Grace", "Hopper", "US"),
                ("Alan", "Turing", "GB"),
                ("Katherine", "Johnson", "US"),
                ("Tim", "Berners-Lee", "GB"),
            ]
        )
    ]
    Customer.objects.bulk_create(customers)
    ada = Customer.objects.get(external_id="C-000")
    order_with_coffee(ada)
    make_staff("Support", "maria")
    return ada


def test_login_search_and_customer_page(live_server, page, screenshot, shop):
    page.goto(f"{live_server.url}/customers/")
    assert page.url.startswith(f"{live_server.url}/login/")
    page.fill("#id_username", "maria")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "didn't match" in page.inner_text(".login-card")

    page.fill("#id_username", "maria")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_selector("table.grid")
    assert page.inner_text("h1") == "Customers"
    assert page.locator("table.grid tbody tr").count() == 5
    screenshot("customer-list")

    page.fill("input[name=q]", "lovelace")
    page.click("button:has-text('Filter')")
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 1
    rows.first.locator("a").click()
    page.wait_for_selector("text=Order history")
    assert page.inner_text("h1") == "Ada Lovelace"
    assert "2 × House blend" in page.inner_text("table.grid")
    screenshot("customer-page")

    page.click("text=Imports")
    assert page.inner_text("h1") == "Import orders"
    page.click("button:has-text('Log out')")
    page.wait_for_url(f"{live_server.url}/login/")
