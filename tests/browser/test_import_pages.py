"""The import pages in a real browser: the currency before and after, warnings and
rejections each in their table."""

import pytest
from django.core.files.base import ContentFile

from customers.models import OrderImport
from customers.services.order_imports import order_import_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORDERS = """\
customer_id,order_id,placed_at,amount,first_name,sku,quantity,unit_price
C1,O1,2025-03-01 10:16,2.00,Ada,A,1,2.00
C1,O1,2025-03-01 10:15,3.00,Ada,B,1,3.00
C2,O2,2025-03-02,1.00,Bo,A,x,1.00
"""


def test_the_upload_and_import_pages_say_the_currency_and_list_warnings(
    live_server, page, screenshot, make_staff, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.SHOP_CURRENCY = "GBP"
    make_staff("Support", "maria")
    page.goto(f"{live_server.url}/customers/imports/")
    page.fill("#id_username", "maria")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")

    page.wait_for_selector("#import-currency")
    assert "Amounts are read in GBP" in page.inner_text("#import-currency")
    screenshot("import-upload")

    order_import = OrderImport.objects.create(file_name="orders.csv")
    order_import.file.save("orders.csv", ContentFile(ORDERS.encode()))
    order_import_run(order_import_id=order_import.pk)
    page.goto(f"{live_server.url}/customers/imports/{order_import.pk}/")

    assert "Amounts were read in GBP" in page.inner_text("#import-currency")
    assert page.inner_text("#rows-warned") == "1"
    warnings = page.inner_text("#warnings")
    assert "2025-03-01 10:16" in warnings
    assert "the earliest, 2025-03-01 10:15" in warnings
    assert "not a whole number" in page.inner_text("#rejections")
    screenshot("import-detail")
