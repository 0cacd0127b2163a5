"""A NUL character anywhere in an address is a 400 with a message, before any view runs."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clvcrm.core.middleware import NUL_REFUSED
from customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/customers/?q=a%00b",
        "/customers/?a%00=1",
        "/customers/?country=DE&country=%00",
        "/admin/customers/order/?status__exact=%00",  # PostgreSQL: the same, in the admin
        "/admin/customers/customer/?q=%00",
        "/admin/customers/customer/%00/change/",
        "/login/?next=/%00",
    ],
)
def test_a_nul_character_in_the_path_or_query_is_refused(url: str) -> None:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123"))
    Customer.objects.create(external_id="C-1")

    response = client.get(url)

    assert response.status_code == 400
    assert response.content.decode() == NUL_REFUSED
    assert response["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/%00/",  # PostgreSQL: psycopg refused the lookup (a 500)
        "/api/v1/customers/C-1/orders/?cursor=%00",
    ],
)
def test_the_api_refuses_a_nul_character_in_its_error_format(url: str) -> None:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123"))
    Customer.objects.create(external_id="C-1")

    response = client.get(url)

    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"field": None, "code": "nul_character", "message": NUL_REFUSED}]
    }


def test_a_nul_character_is_refused_before_the_login_is_asked_for(client: Client) -> None:
    response = client.get("/customers/?q=%00")

    assert (response.status_code, response.content.decode()) == (400, NUL_REFUSED)
