"""Connected shops in the admin: the webhook secret is written, never shown back."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from customers.models import ConnectedShop, WebhookEvent

pytestmark = pytest.mark.django_db

SECRET = "shpss_do-not-show-me"
ADD = "/admin/customers/connectedshop/add/"


@pytest.fixture
def root() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123"))
    return client


def test_a_shop_is_added_with_its_secret_and_address_as_deliveries_name_it(root):
    form = {"platform": "woocommerce", "domain": " https://Shop.Example.com/ ", "secret": SECRET}
    assert root.post(ADD, {**form, "active": "on"}).status_code == 302

    shop = ConnectedShop.objects.get()
    assert (shop.domain, shop.secret, shop.active) == ("https://shop.example.com", SECRET, True)


def test_a_new_shop_needs_a_secret(root):
    response = root.post(ADD, {"platform": "shopify", "domain": "a.myshopify.com", "secret": ""})
    assert response.status_code == 200
    assert "A new shop needs its webhook secret." in response.content.decode()
    assert not ConnectedShop.objects.exists()


def test_the_secret_is_never_shown_and_an_empty_one_keeps_it(root):
    shop = ConnectedShop.objects.create(platform="shopify", domain="a.myshopify.com", secret=SECRET)
    change = f"/admin/customers/connectedshop/{shop.pk}/change/"

    page = root.get(change).content.decode()
    listing = root.get("/admin/customers/connectedshop/").content.decode()
    form = {"platform": "shopify", "domain": "a.myshopify.com", "secret": ""}
    assert root.post(change, form).status_code == 302  # active unticked, secret left empty

    assert SECRET not in page
    assert SECRET not in listing
    shop.refresh_from_db()
    assert (shop.secret, shop.active) == (SECRET, False)
    assert root.post(change, {**form, "secret": "new"}).status_code == 302
    shop.refresh_from_db()
    assert shop.secret == "new"


def test_webhook_events_are_read_only_and_show_their_body(root):
    shop = ConnectedShop.objects.create(platform="shopify", domain="a.myshopify.com", secret="s")
    event = WebhookEvent.objects.create(
        platform="shopify", shop=shop, topic="orders/create", delivery_id="1", body=b'{"id": 7}'
    )

    page = root.get(f"/admin/customers/webhookevent/{event.pk}/change/").content.decode()

    assert "{&quot;id&quot;: 7}" in page
    assert root.get("/admin/customers/webhookevent/add/").status_code == 403
    assert SECRET not in page
