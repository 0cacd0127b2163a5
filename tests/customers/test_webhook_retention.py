"""Shop webhook bodies (customer data) are emptied after the retention period; the events,
their outcomes and what retries and late deliveries need of them stay."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django_celery_beat.models import PeriodicTask

from customers.models import Order, WebhookEvent
from customers.services.webhooks import webhook_event_bodies_expire, webhook_event_process
from customers.tasks import webhook_event_bodies_expire as webhook_event_bodies_expire_task
from tests.customers.webhook_deliveries import webhook_body

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 2, 3, 15, tzinfo=UTC)
OLD = NOW - timedelta(days=30, seconds=1)
RECENT = NOW - timedelta(days=29, hours=23)
ORDER = webhook_body("shopify_webhook_order.json")
PENDING = webhook_body("shopify_webhook_order_refunded.json")


@pytest.fixture
def events(deliver, shops) -> None:
    """Two processed deliveries past the retention (an order imported, a body rejected),
    one past it that no worker processed yet, one processed within it."""
    with time_machine.travel(OLD, tick=False):
        deliver(ORDER, delivery_id="old-imported")
        deliver(b'{"id": 1, "email": ', delivery_id="old-rejected")
        WebhookEvent.objects.create(
            platform="shopify",
            shop=shops[0],
            topic="orders/updated",
            delivery_id="old-pending",
            body=PENDING,
        )
    with time_machine.travel(RECENT, tick=False):
        deliver(ORDER, "orders/updated", delivery_id="recent")


def _rows() -> list[tuple]:
    return list(
        WebhookEvent.objects.order_by("delivery_id").values_list(
            "delivery_id", "body", "body_removed_at", "outcome", "order_id", "processed_at"
        )
    )


def test_processed_bodies_past_the_retention_are_emptied_in_one_update(
    events, django_assert_num_queries
):
    updated_at = WebhookEvent.objects.get(delivery_id="old-imported").order_updated_at

    with time_machine.travel(NOW, tick=False), django_assert_num_queries(1):
        emptied = webhook_event_bodies_expire()

    assert emptied == 2
    assert [(d, bytes(b), removed, o, i, p) for d, b, removed, o, i, p in _rows()] == [
        ("old-imported", b"", NOW, "imported", "5550001001", OLD),
        ("old-pending", PENDING, None, "pending", "", None),
        ("old-rejected", b"", NOW, "rejected", "", OLD),
        ("recent", ORDER, None, "imported", "5550001001", RECENT),
    ]
    old = WebhookEvent.objects.get(delivery_id="old-imported")
    assert (old.received_at, old.order_updated_at, old.detail) == (OLD, updated_at, "")
    assert old.order_updated_at is not None
    assert WebhookEvent.objects.get(delivery_id="old-rejected").detail.startswith(
        "the body is not JSON ("
    )
    # A second run finds nothing, and the first's time stays.
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert webhook_event_bodies_expire() == 0
    assert WebhookEvent.objects.get(delivery_id="old-imported").body_removed_at == NOW


def test_retries_late_deliveries_and_unprocessed_events_still_work_after_it(events, deliver, shops):
    with time_machine.travel(NOW, tick=False):
        webhook_event_bodies_expire()
    Order.objects.update(status="cancelled")  # so a re-import would show

    # The platform retries the old delivery: still one event, not processed again.
    assert deliver(ORDER, delivery_id="old-imported").status_code == 200
    # An older state of the order, late: the emptied event still says a newer one came.
    older = json.loads(ORDER) | {"updated_at": "2025-03-01T10:16:01+01:00"}
    deliver(json.dumps(older).encode(), "orders/updated", delivery_id="late")
    # The event no worker processed kept its body: its processing imports it.
    processed = webhook_event_process(shop_id=shops[0].pk, delivery_id="old-pending")

    retried = WebhookEvent.objects.get(delivery_id="old-imported")
    assert (bytes(retried.body), retried.body_removed_at, retried.outcome) == (b"", NOW, "imported")
    assert WebhookEvent.objects.filter(delivery_id="old-imported").count() == 1
    assert Order.objects.get(external_id="5550001001").status == "cancelled"
    late = WebhookEvent.objects.get(delivery_id="late")
    assert (late.outcome, late.detail) == (
        "ignored",
        "order 5550001001: a newer update was imported already",
    )
    assert processed is not None
    assert processed.outcome == "imported"
    assert Order.objects.get(external_id="5550001002").refunded_amount == Decimal("9.90")


def test_the_retention_is_a_setting(settings, events):
    settings.WEBHOOK_BODY_RETENTION_DAYS = 1
    with time_machine.travel(NOW, tick=False):
        assert webhook_event_bodies_expire() == 3
    assert WebhookEvent.objects.get(delivery_id="old-pending").body_removed_at is None


def test_the_nightly_schedule_runs_the_task(events):
    schedule = PeriodicTask.objects.get(name="Nightly removal of expired webhook bodies")
    assert schedule.task == "customers.tasks.webhook_event_bodies_expire"
    assert (schedule.crontab.hour, schedule.crontab.minute) == ("3", "15")

    with time_machine.travel(NOW, tick=False):
        webhook_event_bodies_expire_task.delay()

    assert bytes(WebhookEvent.objects.get(delivery_id="old-imported").body) == b""


def test_the_admin_says_the_body_was_removed_by_retention(events):
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123"))
    with time_machine.travel(NOW, tick=False):
        webhook_event_bodies_expire()
    old, recent = (WebhookEvent.objects.get(delivery_id=d) for d in ("old-imported", "recent"))

    page = client.get(f"/admin/customers/webhookevent/{old.pk}/change/").content.decode()
    kept = client.get(f"/admin/customers/webhookevent/{recent.pk}/change/").content.decode()

    assert "Removed by retention on 2026-04-02 (bodies are kept 30 days)." in page
    assert "ada@example.com" not in page
    assert "Removed by retention" not in kept
    assert "ada@example.com" in kept
