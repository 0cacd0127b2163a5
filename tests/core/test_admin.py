"""Every model of ours is in the Django admin, and every changelist opens."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

from tests.factories import order_with_coffee

pytestmark = pytest.mark.django_db

OUR_APPS = {"customers", "campaigns", "feedback"}


def test_every_model_is_registered() -> None:
    ours = {m for m in apps.get_models() if m._meta.app_label in OUR_APPS}
    assert ours
    assert ours <= set(admin.site._registry)


def test_every_changelist_and_search_opens(client) -> None:
    from customers.models import Customer

    order_with_coffee(Customer.objects.create(external_id="C-1", email="c1@example.com"))
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123456"))
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        if model_admin.search_fields:
            assert client.get(url, {"q": "C-1"}).status_code == 200, url
