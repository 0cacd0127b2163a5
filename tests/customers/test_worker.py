"""Real Celery workers through the real broker (Redis in CI): an uploaded import, and a
CLV run fanned out as a chord over two workers."""

import subprocess
import time
from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from clvcrm.celery import app as celery_app
from clvcrm.pipeline.models import StepRequest
from clvcrm.pipeline.tasks import AFTER_ORDERS, order_import_run, then_clv_run_fanned_out
from customers.clv_runs import fan_out
from customers.integrations.signatures import signature_of
from customers.models import (
    ConnectedShop,
    CustomerScore,
    LoyaltyStatus,
    Order,
    OrderImport,
    WebhookEvent,
)
from customers.services.clv_runs import clv_recalculate
from tests.customers.loyalty_builders import make_tiers
from tests.customers.test_clv_pipeline import SCORE_FIELDS
from tests.datasets import data_file
from tests.workers import BROKER, worker_start

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not BROKER, reason="needs CELERY_BROKER_URL (CI sets it)"),
]


@pytest.fixture
def start_workers():
    """Start ``n`` worker processes sharing the queue; stopped after the test."""
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        channel: Any = conn.default_channel  # kombu's stubs type it as StdChannel
        channel.queue_purge("celery")
        # A task an earlier test's worker held unacknowledged (a countdown not yet due) is
        # put back in the queue when the next worker connects, and would run in this test:
        # the Redis transport keeps them apart from the queue, so they go too.
        if hasattr(channel, "unacked_key"):
            channel.client.delete(
                channel.unacked_key, channel.unacked_index_key, channel.unacked_mutex_key
            )
    processes: list[subprocess.Popen] = []

    def start(n: int) -> list[subprocess.Popen]:
        processes.extend(worker_start(f"worker{i}") for i in range(1, n + 1))
        return processes

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)
    celery_app.conf.task_always_eager = True


@pytest.fixture
def worker(start_workers):
    return start_workers(1)[0]


def _wait_for(order_import_id: int, status: str, seconds: float = 60) -> OrderImport:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        order_import = OrderImport.objects.get(pk=order_import_id)
        if order_import.status == status:
            return order_import
        time.sleep(0.2)
    raise AssertionError(f"import {order_import_id} never reached {status}")


@pytest.mark.django_db(transaction=True)
def test_uploaded_file_is_imported_by_a_worker_once(worker, make_staff, client):
    client.force_login(make_staff("Admin"))
    upload = SimpleUploadedFile(
        "orders.csv",
        b"customer_id,order_id,placed_at,amount\nC1,O1,2025-01-01,5.00\n"
        b"C2,O2,2025-01-02,7.00\nC2,O3,nope,1\n",
    )

    response = client.post("/customers/imports/", {"file": upload})
    order_import = OrderImport.objects.get()
    assert response["Location"] == f"/customers/imports/{order_import.pk}/"

    done = _wait_for(order_import.pk, "succeeded")
    assert (done.orders_created, done.rows_rejected, done.rows_total) == (2, 1, 3)
    # A second delivery of the same task finds the import claimed and changes nothing.
    order_import_run.delay(order_import.pk)
    time.sleep(2)
    again = OrderImport.objects.get(pk=order_import.pk)
    assert (again.orders_created, again.rows_total, again.finished_at) == (2, 3, done.finished_at)
    assert Order.objects.count() == 2
    assert worker.poll() is None


@pytest.mark.django_db(transaction=True)
def test_a_clv_run_fans_out_over_two_workers(start_workers, cdnow_sample):
    out = StringIO()
    call_command("recalculate_clv", "--as-of", "1997-09-30", stdout=out)
    single = list(CustomerScore.objects.order_by("customer_id").values_list(*SCORE_FIELDS))
    workers = start_workers(2)

    recalculation = clv_recalculate(as_of=date(1997, 9, 30), customers_per_part=300)
    run = recalculation.run
    assert run.status == "running"
    assert recalculation.fan_out is not None
    then_clv_run_fanned_out(recalculation.fan_out)  # the parts are queued for the workers
    done = fan_out.wait_for(run)

    assert (done.status, done.error, done.customers) == ("succeeded", "", 2357)
    assert list(CustomerScore.objects.order_by("customer_id").values_list(*SCORE_FIELDS)) == single
    assert set(CustomerScore.objects.values_list("run_id", flat=True)) == {run.pk}
    assert list(run.parts.values_list("customers", flat=True)) == [300] * 7 + [257]
    assert not run.parts.filter(finished_at__isnull=True).exists()
    assert all(w.poll() is None for w in workers)


@pytest.mark.django_db(transaction=True)
def test_a_shop_webhook_delivered_three_times_is_imported_by_a_worker_once(worker, client):
    shop = ConnectedShop.objects.create(platform="shopify", domain="w.myshopify.com", secret="s")
    body = data_file("shopify_webhook_order.json").read_bytes()
    headers = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": signature_of("s", body),
        "X-Shopify-Shop-Domain": shop.domain,
        "X-Shopify-Webhook-Id": "retried",
    }

    for _ in range(3):  # the view commits the event and queues its task at once
        response = client.post(
            "/api/v1/webhooks/shopify/", body, content_type="application/json", headers=headers
        )
        assert response.status_code == 200

    deadline = time.monotonic() + 60
    while not WebhookEvent.objects.filter(processed_at__isnull=False).exists():
        assert time.monotonic() < deadline, "the worker never processed the event"
        time.sleep(0.2)
    time.sleep(1)  # the two other deliveries of the task find it processed
    assert WebhookEvent.objects.get().outcome == "imported"
    assert Order.objects.get().external_id == "5550001001"
    assert worker.poll() is None


@pytest.mark.django_db(transaction=True)
def test_orders_sent_to_the_api_are_followed_by_one_loyalty_refresh(
    start_workers, make_staff, monkeypatch
):
    # The worker's setting: far longer than the three requests and the worker's handling of
    # them take on a loaded machine (the worker also asks for the dashboard's refresh now).
    monkeypatch.setenv("PIPELINE_AFTER_ORDERS_SECONDS", "15")
    make_tiers()
    [worker] = start_workers(1)
    client = APIClient()
    client.force_authenticate(make_staff("Support"))
    placed = (timezone.now() - timedelta(days=7)).isoformat()
    asked = []

    for i in range(3):  # each commits its orders and queues what follows them at once
        order = {"external_id": f"O{i}", "customer": {"external_id": f"C{i}"},
                 "placed_at": placed, "total": "20.00"}  # fmt: skip
        assert client.post("/api/v1/orders/", order, format="json").status_code == 201
        asked.append(_requested_at(wait=True))

    # The first order's request stands for all three: the step has not started yet.
    assert asked[0] is not None
    assert asked == [asked[0]] * 3
    deadline = time.monotonic() + 60
    while LoyaltyStatus.objects.count() < 3 or _requested_at() is not None:
        assert time.monotonic() < deadline, "the loyalty refresh never ran"
        time.sleep(0.2)
    assert set(LoyaltyStatus.objects.values_list("tier__name", flat=True)) == {"Bronze"}
    assert worker.poll() is None


def _requested_at(wait: bool = False) -> datetime | None:
    """When the steps after orders were last asked for (``wait``: until they were)."""
    deadline = time.monotonic() + 30
    while True:
        row = StepRequest.objects.filter(step=AFTER_ORDERS).first()
        if row is not None or not wait:
            return row.requested_at if row else None
        assert time.monotonic() < deadline, "the worker never asked for the steps after orders"
        time.sleep(0.1)
