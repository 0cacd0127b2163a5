"""Every model of ours is in the Django admin, and every changelist opens."""

from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clvcrm.core.admin_site import CheckedParametersAdmin
from customers.models import AcquisitionChannel, ClvRun, Customer
from tests.factories import order_with_coffee

pytestmark = pytest.mark.django_db

OUR_APPS = {"customers", "campaigns", "feedback"}


def test_every_model_is_registered() -> None:
    ours = {m for m in apps.get_models() if m._meta.app_label in OUR_APPS}
    assert ours
    assert ours <= set(admin.site._registry)


def test_every_changelist_and_search_opens(client) -> None:
    order_with_coffee(Customer.objects.create(external_id="C-1", email="c1@example.com"))
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123456"))
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        if model_admin.search_fields:
            assert client.get(url, {"q": "C-1"}).status_code == 200, url


@pytest.fixture
def root_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123456"))
    return client


def test_every_model_admin_checks_its_parameters() -> None:
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, CheckedParametersAdmin), model
    assert isinstance(admin.site._registry[User], UserAdmin)  # other apps' admins kept


def test_an_empty_to_field_opens_the_change_and_delete_pages(root_client: Client) -> None:
    # Django checks a non-empty _to_field only, then looked up a field named "" (a 500).
    customer = Customer.objects.create(external_id="C-1")
    for page in ("change", "delete"):
        url = f"/admin/customers/customer/{customer.pk}/{page}/"
        assert root_client.get(url, {"_to_field": ""}).status_code == 200, url


@pytest.mark.parametrize(
    "query",
    [
        {"created_at__year": "9999"},  # the year after it overflowed (a 500)
        {"created_at__year": "9999", "created_at__month": "12"},
        {"created_at__year": "9999", "created_at__month": "12", "created_at__day": "31"},
        {"created_at__year": "1"},
        {"created_at__year": "١٢٣"},
        {"created_at__year": "2025", "created_at__month": "13"},
    ],
)
def test_a_date_hierarchy_day_off_the_calendar_is_an_invalid_lookup(
    root_client: Client, query: dict[str, str]
) -> None:
    response = root_client.get("/admin/customers/clvrun/", query)

    assert (response.status_code, response["Location"]) == (302, "/admin/customers/clvrun/?e=1")


def test_a_date_hierarchy_day_on_the_calendar_filters(root_client: Client) -> None:
    ClvRun.objects.create(as_of=date(2025, 1, 1))
    query = {"created_at__year": str(timezone.now().year)}

    response = root_client.get("/admin/customers/clvrun/", query)

    assert response.status_code == 200
    assert response.context_data is not None
    assert response.context_data["cl"].result_count == 1


def test_an_object_id_beyond_64_bits_names_no_object(root_client: Client) -> None:
    # A one-to-one primary key: SQLite could not bind the id (OverflowError, a 500).
    response = root_client.get("/admin/customers/customerscore/99999999999999999999/change/")

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "customer score with ID “99999999999999999999” doesn’t exist. Perhaps it was deleted?"
    ]


def test_a_changelist_lookup_beyond_64_bits_finds_nothing(
    root_client: Client, on_postgres: bool
) -> None:
    response = root_client.get("/admin/customers/customerscore/", {"pk": "99999999999999999999"})

    if on_postgres:  # PostgreSQL compares the id with the number: no row
        assert response.status_code == 200
        assert response.context_data is not None
        assert response.context_data["cl"].result_count == 0
    else:  # SQLite cannot bind it: the admin's invalid lookup, as for any unusable value
        assert response.status_code == 302
        assert response["Location"] == "/admin/customers/customerscore/?e=1"


def test_a_search_longer_than_200_characters_is_refused_with_a_message(root_client: Client) -> None:
    Customer.objects.create(external_id="C-1")

    response = root_client.get("/admin/customers/customer/", {"q": "a " * 5_000})

    assert response.status_code == 200
    assert response.context_data is not None
    assert response.context_data["cl"].result_count == 1  # the search is ignored
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Ensure this value has at most 200 characters (it has 10000)."
    ]


def test_an_autocomplete_of_a_term_longer_than_200_characters_finds_nothing(
    root_client: Client,
) -> None:
    # Five thousand words: an expression tree SQLite refused to parse (a 500).
    AcquisitionChannel.objects.create(name="a")
    query = {
        "app_label": "customers",
        "model_name": "customer",
        "field_name": "acquisition_channel",
    }

    long = root_client.get("/admin/autocomplete/", {**query, "term": "a " * 5_000})
    short = root_client.get("/admin/autocomplete/", {**query, "term": "a"})

    assert long.json() == {"results": [], "pagination": {"more": False}}
    assert [r["text"] for r in short.json()["results"]] == ["a"]


# The admin's date hierarchy builds a naive moment from year 1, as asked: Django warns of it.
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning")
def test_a_date_filter_of_year_1_east_of_utc_is_refused_or_finds_nothing(
    root_client: Client, settings: Any, on_postgres: bool
) -> None:
    settings.TIME_ZONE = "Asia/Kolkata"  # midnight of year 1 here is still year 0 in UTC

    response = root_client.get("/admin/customers/order/", {"placed_at__lt": "0001-01-01"})

    if on_postgres:  # PostgreSQL holds years before 1
        assert response.status_code == 200
        assert response.context_data is not None
        assert response.context_data["cl"].result_count == 0
    else:  # SQLite cannot convert it to UTC (OverflowError, a 500)
        assert response.status_code == 302
        assert response["Location"] == "/admin/customers/order/?e=1"
