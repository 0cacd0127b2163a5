"""The privacy requests' pages and API: Admins only, a typed confirmation, CSRF, 404s."""

import json

import pytest
from django.test import Client

from clvcrm.core.api_tokens import api_token_create
from clvcrm.core.models import AuditEntry
from customers.models import Customer

pytestmark = pytest.mark.django_db


def _customer() -> Customer:
    return Customer.objects.create(
        external_id="P-1", email="pat@example.com", first_name="Pat", marketing_consent=True
    )


def test_the_customer_page_shows_the_actions_to_admins_only(admin_client, make_staff):
    customer = _customer()
    page = admin_client.get(f"/customers/{customer.pk}/").content.decode()
    assert f'href="/workspace/privacy/customers/{customer.pk}/export/"' in page
    assert f'href="/workspace/privacy/customers/{customer.pk}/erase/"' in page
    for role in ("Analyst", "Marketing", "Support"):
        client = Client()
        client.force_login(make_staff(role))
        page = client.get(f"/customers/{customer.pk}/").content.decode()
        assert 'id="privacy-actions"' not in page, role


@pytest.mark.parametrize("role", ["Analyst", "Marketing", "Support"])
def test_other_roles_can_neither_export_nor_erase(make_staff, role):
    customer = _customer()
    client = Client()
    client.force_login(make_staff(role))
    base = f"/workspace/privacy/customers/{customer.pk}"
    assert client.get(f"{base}/export/").status_code == 403
    assert client.get(f"{base}/erase/").status_code == 403
    assert client.post(f"{base}/erase/", {"confirm_id": customer.external_id}).status_code == 403
    assert Customer.objects.get(pk=customer.pk).email == "pat@example.com"
    assert not AuditEntry.objects.exists()


def test_the_export_downloads_as_json(admin_client):
    customer = _customer()
    response = admin_client.get(f"/workspace/privacy/customers/{customer.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="customer-{customer.pk}-data.json"'
    )
    data = json.loads(response.content)
    assert data["tables"]["customers.customer"][0]["email"] == "pat@example.com"
    assert AuditEntry.objects.get().action == "privacy.export"


def test_unknown_customers_are_404(admin_client):
    assert admin_client.get("/workspace/privacy/customers/999/export/").status_code == 404
    assert admin_client.get("/workspace/privacy/customers/999/erase/").status_code == 404


def test_the_erase_needs_the_typed_id(admin_client):
    customer = _customer()
    url = f"/workspace/privacy/customers/{customer.pk}/erase/"
    assert admin_client.get(url).status_code == 200

    wrong = admin_client.post(url, {"confirm_id": str(customer.pk)})  # not the shop's id

    assert wrong.status_code == 400
    assert f"type {customer.external_id} to erase this customer" in wrong.content.decode()
    assert Customer.objects.get(pk=customer.pk).erased_at is None
    assert not AuditEntry.objects.exists()

    done = admin_client.post(url, {"confirm_id": customer.external_id})

    assert done.status_code == 302
    assert done["Location"] == f"/customers/{customer.pk}/"
    erased = Customer.objects.get(pk=customer.pk)
    assert (erased.email, erased.first_name) == ("", "")
    assert erased.erased_at is not None
    page = admin_client.get(done["Location"]).content.decode()
    assert 'id="customer-erased"' in page
    assert "personal data is erased" in page


def test_the_erase_form_needs_the_csrf_token(make_staff):
    customer = _customer()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_staff("Admin"))
    url = f"/workspace/privacy/customers/{customer.pk}/erase/"
    assert client.post(url, {"confirm_id": customer.external_id}).status_code == 403
    assert Customer.objects.get(pk=customer.pk).erased_at is None


def _api(user) -> Client:
    token = api_token_create(user=user, name="t")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_api_exports_and_erases_for_admins(make_staff):
    customer = _customer()
    client = _api(make_staff("Admin"))

    exported = client.get("/api/v1/customers/P-1/export/")
    erased = client.post("/api/v1/customers/P-1/erase/")

    assert exported.status_code == 200
    assert exported.json()["tables"]["customers.customer"][0]["first_name"] == "Pat"
    assert erased.status_code == 200
    assert erased.json()["rows"] == {"customers.customer": 1}
    assert erased.json()["already_erased"] is False
    assert Customer.objects.get(pk=customer.pk).erased_at is not None
    assert client.post("/api/v1/customers/NOPE/erase/").status_code == 404
    assert [e.action for e in AuditEntry.objects.order_by("id")] == [
        "privacy.export",
        "privacy.erase",
    ]


def test_the_api_refuses_other_roles(make_staff):
    _customer()
    client = _api(make_staff("Analyst"))
    assert client.get("/api/v1/customers/P-1/export/").status_code == 403
    assert client.post("/api/v1/customers/P-1/erase/").status_code == 403
    assert not AuditEntry.objects.exists()
