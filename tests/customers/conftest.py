"""Fixtures shared by the customers tests."""

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from customers.models import ConnectedShop
from tests.customers.webhook_deliveries import SECRET, SHOP, WOO_SECRET, WOO_SHOP, delivery
from tests.datasets import cdnow_to_orders_csv, data_file


@pytest.fixture
def cdnow_sample(tmp_path: Path) -> None:
    """The CDNOW sample (2,357 customers) imported through the real command."""
    path = tmp_path / "cdnow_sample.csv"
    cdnow_to_orders_csv(data_file("CDNOW_sample.txt"), path, sample=True)
    call_command("import_orders", str(path), stdout=StringIO())


@pytest.fixture
def shops(db: None) -> tuple[ConnectedShop, ConnectedShop]:
    """The connected Shopify and WooCommerce shops of ``tests.customers.webhook_deliveries``."""
    return (
        ConnectedShop.objects.create(platform="shopify", domain=SHOP, secret=SECRET),
        ConnectedShop.objects.create(platform="woocommerce", domain=WOO_SHOP, secret=WOO_SECRET),
    )


@pytest.fixture
def deliver(client: Client, shops: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """POST a delivery as the platform would and run what it queued (the processing task);
    the arguments of :func:`~tests.customers.webhook_deliveries.delivery`, and
    ``extra_headers``."""

    def post(
        body: bytes, *args: Any, extra_headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Any:
        url, headers = delivery(body, *args, **kwargs)
        headers |= extra_headers or {}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, body, content_type="application/json", headers=headers)

    return post
