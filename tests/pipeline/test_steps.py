"""Orders arriving many times a minute ask for what follows them; it runs once for all."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clvcrm.pipeline import tasks as pipeline
from clvcrm.pipeline.models import StepRequest
from clvcrm.pipeline.steps import STALE_AFTER
from customers.models import KpiRefresh
from tests.customers.loyalty_builders import make_tiers

pytestmark = pytest.mark.django_db


def _queued_by(action, capture) -> int:
    with capture(execute=False) as queued:
        action()
    return len(queued)


def test_requests_until_the_step_starts_queue_it_once(django_capture_on_commit_callbacks):
    make_tiers()
    capture = django_capture_on_commit_callbacks

    # The step after orders and the dashboard's aggregates, each asked for once.
    assert [_queued_by(pipeline.then_orders_arrived, capture) for _ in range(3)] == [2, 0, 0]
    assert StepRequest.objects.get(step=pipeline.AFTER_ORDERS).requested_at is not None

    assert _queued_by(pipeline.after_orders_arrived, capture) == 1  # the loyalty refresh
    assert StepRequest.objects.get(step=pipeline.AFTER_ORDERS).requested_at is None
    assert _queued_by(pipeline.after_orders_arrived, capture) == 0  # delivered twice
    assert _queued_by(pipeline.then_orders_arrived, capture) == 1  # asked again after it ran


def test_the_dashboards_refresh_is_asked_for_once_until_it_runs(django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks

    assert [_queued_by(pipeline.then_orders_arrived, capture) for _ in range(3)] == [1, 0, 0]
    assert StepRequest.objects.get(step=pipeline.KPI_AGGREGATES).requested_at is not None

    pipeline.kpi_aggregates_after_orders()
    assert StepRequest.objects.get(step=pipeline.KPI_AGGREGATES).requested_at is None
    assert KpiRefresh.objects.values_list("trigger", flat=True).get() == "orders"
    pipeline.kpi_aggregates_after_orders()  # delivered twice: nothing
    assert KpiRefresh.objects.count() == 1
    assert _queued_by(pipeline.then_orders_arrived, capture) == 1


def test_a_request_pending_too_long_queues_the_step_again(django_capture_on_commit_callbacks):
    make_tiers()
    capture = django_capture_on_commit_callbacks
    _queued_by(pipeline.then_orders_arrived, capture)
    StepRequest.objects.update(requested_at=timezone.now() - STALE_AFTER - timedelta(seconds=1))

    assert _queued_by(pipeline.then_orders_arrived, capture) == 2  # both steps again


def test_without_a_loyalty_programme_only_the_dashboards_refresh_is_asked_for(
    django_capture_on_commit_callbacks,
):
    assert _queued_by(pipeline.then_orders_arrived, django_capture_on_commit_callbacks) == 1
    assert list(StepRequest.objects.values_list("step", flat=True)) == [pipeline.KPI_AGGREGATES]
