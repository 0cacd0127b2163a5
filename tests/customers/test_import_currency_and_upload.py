"""The upload page and the command say which currency amounts are read in, before and
after; the upload page takes files up to ORDER_IMPORT_MAX_UPLOAD_BYTES."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from customers.forms import OrderImportForm
from customers.models import OrderImport

pytestmark = pytest.mark.django_db

ORDERS = b"customer_id,order_id,placed_at,amount\nC1,O1,2025-01-01,9.99\n"


def test_the_command_says_the_currency_before_and_after(write_csv, settings):
    settings.SHOP_CURRENCY = "GBP"
    out, err = StringIO(), StringIO()

    call_command("import_orders", str(write_csv(ORDERS.decode())), stdout=out, stderr=err)

    assert err.getvalue().splitlines()[0] == (
        "Amounts are read in GBP (the shop currency, SHOP_CURRENCY)."
    )
    assert "Amounts were read in GBP (the shop currency, SHOP_CURRENCY)." in out.getvalue()
    assert OrderImport.objects.get().currency == "GBP"


def test_the_upload_page_says_the_currency_before_and_after(
    admin_client, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.SHOP_CURRENCY = "GBP"
    settings.MEDIA_ROOT = tmp_path

    before = admin_client.get("/customers/imports/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/customers/imports/", {"file": SimpleUploadedFile("orders.csv", ORDERS)}
        )
    settings.SHOP_CURRENCY = "EUR"  # changed since: the import still says what it used
    after = admin_client.get(response["Location"]).content.decode()

    assert "Amounts are read in <strong>GBP</strong>, the shop currency" in before
    assert "Amounts were read in <strong>GBP</strong> (the shop currency)." in after


def test_an_upload_over_the_limit_is_refused_while_it_arrives(admin_client, settings, tmp_path):
    settings.ORDER_IMPORT_MAX_UPLOAD_BYTES = 100
    settings.MEDIA_ROOT = tmp_path
    big = SimpleUploadedFile("orders.csv", ORDERS + b"C1,O2,2025-01-01,1.00\n" * 10)

    response = admin_client.post("/customers/imports/", {"file": big, "dry_run": "on"})

    assert response.status_code == 200
    assert (
        "The file is larger than the upload limit of 100\xa0bytes (ORDER_IMPORT_MAX_UPLOAD_BYTES)"
        in response.content.decode()
    )
    assert OrderImport.objects.count() == 0
    assert not any(Path(tmp_path).rglob("*.csv"))


def test_an_upload_within_the_limit_is_taken(admin_client, settings, tmp_path):
    settings.ORDER_IMPORT_MAX_UPLOAD_BYTES = len(ORDERS)
    settings.MEDIA_ROOT = tmp_path

    response = admin_client.post(
        "/customers/imports/", {"file": SimpleUploadedFile("orders.csv", ORDERS)}
    )

    assert response.status_code == 302
    assert OrderImport.objects.count() == 1


def test_the_form_refuses_a_file_over_the_limit_too(settings):
    settings.ORDER_IMPORT_MAX_UPLOAD_BYTES = 10
    form = OrderImportForm({}, {"file": SimpleUploadedFile("orders.csv", ORDERS)})

    assert not form.is_valid()
    assert str(form.errors["file"][0]).startswith("The file is larger than the upload limit of 10")


def test_the_upload_page_still_checks_the_csrf_token(make_staff, settings, tmp_path):
    from django.test import Client

    settings.MEDIA_ROOT = tmp_path
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_staff("Admin"))

    response = client.post("/customers/imports/", {"file": SimpleUploadedFile("o.csv", ORDERS)})

    assert response.status_code == 403
    assert OrderImport.objects.count() == 0
