"""Any other CSV: a column mapping chosen on the import's page, remembered for the next file
with the same header (by the upload page and the command alike)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from customers.models import ColumnMapping, Customer, Order, OrderImport
from customers.services.order_imports import order_import_map_columns

pytestmark = pytest.mark.django_db

OTHER = (
    "Kunde;Bestellung;Datum;Betrag;E-Mail;amount\n"
    "K1;B1;2025-03-01;12.50;k1@example.com;x\n"
    "K2;B2;2025-03-02;7,00;k2@example.com;x\n"
)
MAPPING = {
    "customer_id": "Kunde",
    "order_id": "Bestellung",
    "placed_at": "Datum",
    "amount": "Betrag",
    "email": "E-Mail",
}


def _upload(admin_client, capture, content: str, name: str = "export.csv") -> OrderImport:
    with capture(execute=True):
        admin_client.post(
            "/customers/imports/", {"file": SimpleUploadedFile(name, content.encode())}
        )
    return OrderImport.objects.latest("pk")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_file_of_another_layout_is_imported_through_the_columns_chosen(
    admin_client, django_capture_on_commit_callbacks, media
):
    failed = _upload(admin_client, django_capture_on_commit_callbacks, OTHER)
    assert failed.status == "failed"
    detail = admin_client.get(f"/customers/imports/{failed.pk}/").content.decode()
    assert f'href="/customers/imports/{failed.pk}/columns/"' in detail

    page = admin_client.get(f"/customers/imports/{failed.pk}/columns/").content.decode()
    # The file's columns are offered; one named like clvcrm's is chosen already.
    assert '<option value="Bestellung">Bestellung</option>' in page
    assert '<option value="amount" selected>amount</option>' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/customers/imports/{failed.pk}/columns/", MAPPING)

    assert response["Location"] == f"/customers/imports/{failed.pk}/"
    done = OrderImport.objects.get(pk=failed.pk)
    assert (done.status, done.error, done.file_format) == ("succeeded", "", "mapped")
    assert list(Order.objects.values_list("external_id", "total")) == [
        ("B1", Decimal("12.50")),
    ]
    assert Customer.objects.get(external_id="K1").email == "k1@example.com"
    # The bad amount is reported under the file's own column name.
    assert list(done.rejections.values_list("row", "column", "value")) == [(3, "Betrag", "7,00")]
    after = admin_client.get(response["Location"]).content.decode()
    assert "Format: columns mapped on the upload page (recognised by its header)." in after
    assert ColumnMapping.objects.get().columns == MAPPING


def test_the_next_file_with_the_same_header_is_read_through_the_remembered_mapping(
    admin_client, django_capture_on_commit_callbacks, media, write_csv
):
    first = _upload(admin_client, django_capture_on_commit_callbacks, OTHER)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/customers/imports/{first.pk}/columns/", MAPPING)

    later = OTHER.splitlines()[0] + "\nK3;B3;2025-03-03;1.00;;x\n"
    second = _upload(admin_client, django_capture_on_commit_callbacks, later)
    out = StringIO()
    call_command("import_orders", str(write_csv(later.replace("B3", "B4"))), stdout=out)

    assert (second.status, second.file_format) == ("succeeded", "mapped")
    assert out.getvalue().startswith("Format: columns mapped on the upload page")
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["B1", "B3", "B4"]


def test_the_mapping_needs_the_required_columns(
    admin_client, django_capture_on_commit_callbacks, media
):
    failed = _upload(admin_client, django_capture_on_commit_callbacks, OTHER)

    response = admin_client.post(
        f"/customers/imports/{failed.pk}/columns/", {**MAPPING, "placed_at": ""}
    )

    assert response.status_code == 200
    assert "Choose the file&#x27;s column for placed_at: every order needs them." in (
        response.content.decode()
    )
    assert not ColumnMapping.objects.exists()
    assert OrderImport.objects.get(pk=failed.pk).status == "failed"


def test_only_a_file_missing_columns_can_be_mapped(
    admin_client, django_capture_on_commit_callbacks, media
):
    done = _upload(
        admin_client,
        django_capture_on_commit_callbacks,
        "customer_id,order_id,placed_at,amount\nC1,O1,2025-01-01,1.00\n",
    )

    response = admin_client.post(f"/customers/imports/{done.pk}/columns/", MAPPING)

    assert response["Location"] == f"/customers/imports/{done.pk}/"
    assert not ColumnMapping.objects.exists()
    assert 'id="import-map-columns"' not in admin_client.get(response["Location"]).content.decode()


def test_an_analyst_cannot_map_columns(client, make_staff, media):
    order_import = OrderImport.objects.create(
        file_name="x.csv", status="failed", error="required column(s) missing: amount"
    )
    client.force_login(make_staff("Analyst"))

    response = client.post(f"/customers/imports/{order_import.pk}/columns/", MAPPING)

    assert response.status_code == 403
    assert not ColumnMapping.objects.exists()


def test_the_service_remembers_one_mapping_per_header():
    order_import = OrderImport.objects.create(file_name="x.csv", status="failed")
    header = ["Kunde", "Bestellung", "Datum", "Betrag"]

    order_import_map_columns(
        order_import=order_import, header=header, columns={**MAPPING, "email": ""}
    )
    order_import_map_columns(order_import=order_import, header=header, columns=MAPPING)

    assert ColumnMapping.objects.get().columns == MAPPING
    assert OrderImport.objects.get().status == "pending"
