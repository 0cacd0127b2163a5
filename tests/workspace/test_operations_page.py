"""The operations page: what Admins see, who may see it, the recalculation button."""

import uuid
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clvcrm.celery import app
from clvcrm.core.models import TaskFailure
from clvcrm.workspace import operations
from customers.models import ClvRun
from tests.campaigns.builders import campaign_made, customers_made, exposed

pytestmark = pytest.mark.django_db


def test_only_roles_holding_the_permission_see_it(client, make_staff):
    for role, status in (("Admin", 200), ("Marketing", 403), ("Support", 403), ("Analyst", 403)):
        client.force_login(make_staff(role))
        assert client.get(reverse("workspace:operations")).status_code == status, role
        posted = client.post(reverse("workspace:recalculate"))
        assert posted.status_code == (302 if role == "Admin" else 403), role


def test_the_page_lists_runs_imports_sends_and_failures_in_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries
):
    ClvRun.objects.create(as_of=date(2026, 6, 30), status=ClvRun.Status.FAILED, error="no orders")
    TaskFailure.objects.create(task_name="clvcrm.pipeline.tasks.x", exception="Boom: it broke")
    campaign_made(name="Win back")
    # session, user, the user's and the groups' permissions, runs, imports, campaigns,
    # their messages by status, the latest failures and the last day's count
    with django_assert_num_queries(10):
        page = admin_client.get(reverse("workspace:operations"))
    text = page.content.decode()
    assert "no orders" in text
    assert "Boom: it broke" in text
    assert "Tasks run in-process" in text  # the tests run tasks in-process
    assert 'id="start-recalculation"' in text


def test_campaign_sends_count_messages_by_status_of_active_and_lately_finished_campaigns():
    active = campaign_made(name="Win back")
    variant = active.variants.first()
    customers = customers_made(3)
    now = timezone.now()
    exposed(active, variant, customers[:2], at=now, status="sent")
    exposed(active, variant, customers[2:], at=now, status="failed", trigger_ref="again")
    campaign_made(name="Draft", activate=False)

    (row,) = operations.campaign_sends()
    assert row.campaign == active
    assert {k: v for k, v in row.counts.items() if v} == {"sent": 2, "failed": 1}
    assert row.total == 3


def test_queue_depths_are_read_from_the_broker(settings):
    queue = f"test-ops-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_TASK_ROUTES = {"some.task": {"queue": queue}}
    with app.connection_for_write() as connection:
        simple = connection.SimpleQueue(queue)
        for number in range(3):
            simple.put({"n": number})
        try:
            depths = {d.queue: d.waiting for d in operations.queue_depths() or []}
        finally:
            simple.clear()
            simple.close()
    assert set(depths) == {"celery", queue}
    assert depths[queue] == 3


def test_the_button_starts_a_recalculation_recorded_as_the_staff_members(
    client: Client, make_staff, django_capture_on_commit_callbacks
):
    client.force_login(make_staff("Admin", username="olga"))

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("workspace:recalculate"), follow=True)

    assert answer.redirect_chain == [(reverse("workspace:operations"), 302)]
    run = ClvRun.objects.get()
    assert run.triggered_by == "staff:olga"
    assert "A CLV recalculation has been queued" in answer.content.decode()
    assert client.get(reverse("workspace:recalculate")).status_code == 405
