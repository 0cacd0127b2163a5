"""The pipeline: each step's outcome queues what follows it, and nothing else does."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from itertools import count

import pytest
from celery import current_app
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from campaigns.models import Campaign, ResultComputation
from campaigns.services.results import campaign_results_compute
from clvcrm.pipeline import tasks as pipeline
from customers.integrations.signatures import signature_of
from customers.models import (
    ClvRun,
    ConnectedShop,
    Customer,
    CustomerSegment,
    KpiRefresh,
    KpiRunSummary,
    LoyaltyStatus,
    Order,
    OrderImport,
    SegmentReassignment,
)
from customers.services.clv_runs import clv_recalculate
from customers.services.order_imports import ORDER_IMPORT_RUN_TASK
from customers.services.webhooks import WEBHOOK_EVENT_PROCESS_TASK
from tests.campaigns.builders import campaign_made, exposed
from tests.customers.loyalty_builders import make_tiers

pytestmark = pytest.mark.django_db


_uploaders = count()


def _rows() -> str:
    """Two orders of last week: within the loyalty programme's 12 months."""
    day = (timezone.localdate() - timedelta(days=7)).isoformat()
    return f"customer_id,order_id,placed_at,amount\nC1,O1,{day},30.00\nC2,O2,{day},5.00\n"


def _upload(client, make_staff, dry_run: bool = False) -> OrderImport:
    client.force_login(make_staff("Support", username=f"support-{next(_uploaders)}"))
    upload = SimpleUploadedFile("orders.csv", _rows().encode(), content_type="text/csv")
    data = {"file": upload, **({"dry_run": "on"} if dry_run else {})}
    assert client.post("/customers/imports/", data).status_code == 302
    return OrderImport.objects.get()


def test_the_upload_queues_the_pipelines_import_task_by_its_registered_name():
    assert current_app.tasks[ORDER_IMPORT_RUN_TASK].name == pipeline.order_import_run.name


def test_an_uploaded_import_is_followed_by_the_loyalty_refresh_when_there_are_tiers(
    client, make_staff, django_capture_on_commit_callbacks
):
    make_tiers()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        order_import = _upload(client, make_staff)

    # The import, the loyalty refresh and the dashboard's aggregates it queued, then the
    # campaign triggers after the refresh.
    assert len(queued) == 4
    order_import.refresh_from_db()
    assert order_import.status == OrderImport.Status.SUCCEEDED
    assert set(LoyaltyStatus.objects.values_list("customer__external_id", "tier__name")) == {
        ("C1", "Bronze"),
        ("C2", "Bronze"),
    }


def test_without_tiers_or_in_a_dry_run_nothing_follows_an_import(
    client, make_staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        _upload(client, make_staff)
    assert len(queued) == 2  # the import and the dashboard's aggregates: no loyalty programme
    assert KpiRefresh.objects.values_list("trigger", flat=True).get() == "import"

    OrderImport.objects.all().delete()
    make_tiers()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        dry = _upload(client, make_staff, dry_run=True)
    assert len(queued) == 1
    dry.refresh_from_db()
    assert (dry.status, dry.dry_run, LoyaltyStatus.objects.count()) == ("succeeded", True, 0)
    assert KpiRefresh.objects.count() == 1  # a dry run changes no figure


def test_the_webhook_view_queues_the_pipelines_task_by_its_registered_name():
    registered = current_app.tasks[WEBHOOK_EVENT_PROCESS_TASK]
    assert registered.name == pipeline.webhook_event_process.name


def _shop_order(client, order_id: int, delivery_id: str, status: str = "paid"):
    """A signed Shopify order of last week, delivered to the webhook."""
    placed = (timezone.now() - timedelta(days=7)).isoformat()
    body = json.dumps(
        {"id": order_id, "email": "ada@example.com", "created_at": placed, "currency": "USD",
         "total_price": "30.00", "financial_status": status}
    ).encode()  # fmt: skip
    headers = {
        "X-Shopify-Topic": "orders/updated",
        "X-Shopify-Hmac-Sha256": signature_of("s3cret", body),
        "X-Shopify-Shop-Domain": "pipeline.myshopify.com",
        "X-Shopify-Webhook-Id": delivery_id,
    }
    response = client.post(
        "/api/v1/webhooks/shopify/", body, content_type="application/json", headers=headers
    )
    assert response.status_code == 200


def test_a_webhook_order_is_followed_by_the_loyalty_refresh_when_it_changes_an_order(
    client, django_capture_on_commit_callbacks
):
    ConnectedShop.objects.create(
        platform="shopify", domain="pipeline.myshopify.com", secret="s3cret"
    )
    make_tiers()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        _shop_order(client, 1, "d-1")
    # The event's processing, the step after orders (asked for once), the dashboard's
    # aggregates (asked for once), the loyalty refresh, the campaign triggers.
    assert len(queued) == 5
    assert LoyaltyStatus.objects.values_list("tier__name", flat=True).get() == "Bronze"

    for delivery_id, status in (("d-1", "paid"), ("d-2", "paid"), ("d-3", "pending")):
        with django_capture_on_commit_callbacks(execute=True) as queued:
            _shop_order(client, 1, delivery_id, status)
        assert len(queued) == 1  # a retry, an unchanged order, a rejected one: nothing new


def test_the_import_command_is_followed_like_an_upload(
    tmp_path, django_capture_on_commit_callbacks
):
    make_tiers()
    path = tmp_path / "orders.csv"
    path.write_text(_rows())

    with django_capture_on_commit_callbacks(execute=True) as queued:
        call_command("import_orders", str(path), stdout=StringIO(), stderr=StringIO())

    assert len(queued) == 3  # the loyalty refresh, the aggregates, then the campaign triggers
    assert LoyaltyStatus.objects.count() == 2


def _orders() -> None:
    for n in range(3):
        customer = Customer.objects.create(external_id=f"C{n}", acquired_on=date(2025, 1, 1))
        Order.objects.create(
            external_id=f"O{n}",
            customer=customer,
            placed_at=timezone.make_aware(datetime(2025, 1, 2 + n)),
            total=Decimal("10.00"),
            currency="USD",
        )


def test_a_clv_run_that_succeeds_is_followed_by_its_segment_reassignment(
    django_capture_on_commit_callbacks,
):
    _orders()

    with django_capture_on_commit_callbacks(execute=True) as queued:
        run_id = pipeline.clv_recalculate.delay("2025-02-28").get()

    # The segment reassignment and the dashboard's aggregates, then the product affinities,
    # the campaign triggers and the campaigns' effect on CLV.
    assert len(queued) == 5
    assert SegmentReassignment.objects.get().run_id == run_id
    assert KpiRunSummary.objects.get().run_id == run_id
    assert CustomerSegment.objects.filter(run_id=run_id).count() == 3


def test_the_service_alone_queues_nothing(django_capture_on_commit_callbacks):
    _orders()

    with django_capture_on_commit_callbacks(execute=True) as queued:
        recalculation = clv_recalculate(as_of=date(2025, 2, 28))

    assert recalculation.run.status == ClvRun.Status.SUCCEEDED
    assert queued == []
    assert not SegmentReassignment.objects.exists()


def test_a_failed_run_is_followed_by_nothing(django_capture_on_commit_callbacks):
    run = ClvRun.objects.create(as_of=date(2025, 1, 1), status=ClvRun.Status.FAILED)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        pipeline.then_clv_run(run)

    assert queued == []


def test_the_nightly_schedules_name_the_tasks_where_they_live():
    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert tasks == {
        "Nightly CLV recalculation": "clvcrm.pipeline.tasks.clv_recalculate",
        "Nightly loyalty run": "clvcrm.pipeline.tasks.loyalty_refresh",
        "Campaign outbox sweeper, every minute": "campaigns.tasks.outbox_sweep",
        "Campaign results, nightly": "clvcrm.pipeline.tasks.campaign_results_refresh",
        "Nightly deletion of expired upload files": "customers.tasks.order_import_files_expire",
        "Nightly removal of expired webhook bodies": "customers.tasks.webhook_event_bodies_expire",
        "Nightly deletion of expired API idempotency keys": (
            "clvcrm.core.tasks.idempotency_keys_expire"
        ),
        "Survey invitations, daily": "clvcrm.pipeline.tasks.surveys_invite",
    }
    assert all(name in current_app.tasks for name in tasks.values())


def test_campaigns_queue_the_pipelines_trigger_step_by_its_registered_name():
    from campaigns.services.triggers import CAMPAIGN_TRIGGERS_TASK

    assert current_app.tasks[CAMPAIGN_TRIGGERS_TASK].name == pipeline.campaign_triggers.name


def _campaign_waiting_for_orders() -> Campaign:
    """An active campaign that assigned customer C1 eight days ago (a 7-day window)."""
    campaign = campaign_made(weights=(1,), holdout="50.0", attribution_days=7)
    customer = Customer.objects.create(external_id="C1", email="c1@example.com")
    exposed(campaign, None, [customer], at=timezone.now() - timedelta(days=8))
    if connection.vendor == "postgresql":
        # Checked now, as a commit would: PostgreSQL's import alters the customers table,
        # which it refuses while the test's transaction holds deferred checks on it.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return campaign


def test_an_import_is_followed_by_the_campaign_results_when_a_window_is_open(
    client, make_staff, django_capture_on_commit_callbacks
):
    campaign = _campaign_waiting_for_orders()

    with django_capture_on_commit_callbacks(execute=True) as queued:
        _upload(client, make_staff)

    assert len(queued) == 3  # the import, then the results and the aggregates (no tiers)
    computation = ResultComputation.objects.get(campaign=campaign)
    # C1's order of last week, in the window: a conversion in the holdout.
    assert computation.arms.get(variant=None).conversions == 1


def test_a_webhook_order_is_followed_by_the_campaign_results(
    client, django_capture_on_commit_callbacks
):
    ConnectedShop.objects.create(
        platform="shopify", domain="pipeline.myshopify.com", secret="s3cret"
    )
    campaign = _campaign_waiting_for_orders()

    with django_capture_on_commit_callbacks(execute=True) as queued:
        _shop_order(client, 1, "d-1")

    # The event's processing, the step after orders, the aggregates' step, the results (no
    # tiers: no loyalty).
    assert len(queued) == 4
    assert ResultComputation.objects.filter(campaign=campaign).count() == 1


def test_a_final_campaign_is_not_recomputed_after_an_import(
    client, make_staff, django_capture_on_commit_callbacks
):
    campaign = _campaign_waiting_for_orders()
    campaign_results_compute(campaign_id=campaign.pk)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        _upload(client, make_staff)

    assert len(queued) == 2  # the import and the aggregates: every window had closed
