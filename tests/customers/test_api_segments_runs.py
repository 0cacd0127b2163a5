"""API v1 segments and CLV runs: the segment list and members, the runs and the latest one."""

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from customers.api.shared import ByIdCursor
from customers.models import (
    ClvRun,
    Customer,
    CustomerSegment,
    CustomSegmentMembership,
    Segment,
    SegmentReason,
    SegmentReassignment,
    SegmentStatistic,
)
from tests.customers.test_api import CUSTOMER_CONTRACT
from tests.factories import score_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client(make_staff: Callable[..., User]) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_staff("Analyst"))
    return client


def _segmented(size: int) -> tuple[ClvRun, Segment]:
    """``size`` customers in high_value and in a custom segment, after a segmented run."""
    run = ClvRun.objects.create(as_of=date(2025, 6, 30), status=ClvRun.Status.SUCCEEDED)
    custom = Segment.objects.create(code="vip", name="VIP", kind=Segment.Kind.CUSTOM)
    high = Segment.objects.get(code="high_value")
    customers = Customer.objects.bulk_create(Customer(external_id=f"C{i}") for i in range(size))
    for customer in customers:
        score_of(
            customer,
            run,
            frequency=2,
            recency_days=10,
            age_days=100,
            monetary=Decimal("20.00"),
            total_spent=Decimal("40.00"),
            last_purchase=date(2025, 4, 1),
            p_alive=0.8,
            expected_purchases_90d=0.5,
            predicted_clv=Decimal("100.00"),
            historical_clv=Decimal("40.00"),
        )
        CustomerSegment.objects.create(
            customer=customer,
            segment=high,
            reason=SegmentReason.HIGH_VALUE,
            run=run,
            since=timezone.now(),
        )
        CustomSegmentMembership.objects.create(segment=custom, customer=customer, run=run)
    SegmentReassignment.objects.create(run=run, thresholds={}, customers=size)
    for segment in (high, custom):
        SegmentStatistic.objects.create(
            run=run,
            segment=segment,
            customers=size,
            total_predicted_clv=Decimal("100.00") * size,
            average_predicted_clv=Decimal("100.00"),
        )
    return run, custom


def test_segments_list_defaults_then_custom_with_their_latest_size(api_client) -> None:
    _segmented(3)

    response = api_client.get("/api/v1/segments/")

    assert response.status_code == 200
    segments = response.json()
    by_code = {s["code"]: s for s in segments}
    assert segments[-1]["code"] == "vip"
    assert all(s["kind"] == "default" for s in segments[:-1])
    assert by_code["vip"] == {
        "code": "vip",
        "name": "VIP",
        "kind": "custom",
        "size": 3,
        "total_predicted_clv": "300.00",
        "average_predicted_clv": "100.00",
    }
    assert by_code["high_value"]["size"] == 3
    assert by_code["at_risk"]["size"] is None  # no figures for it in the latest run


def test_segments_have_no_size_before_any_run(api_client) -> None:
    segments = api_client.get("/api/v1/segments/").json()

    assert segments
    assert all(s["size"] is None for s in segments)


@pytest.mark.parametrize("code", ["high_value", "vip"])
def test_a_segment_lists_its_customers_in_the_customer_contract(api_client, code) -> None:
    _segmented(3)
    Customer.objects.create(external_id="OUTSIDE")

    page = api_client.get(f"/api/v1/segments/{code}/customers/").json()

    assert [c["external_id"] for c in page["results"]] == ["C2", "C1", "C0"]
    assert list(page["results"][0])[:16] == CUSTOMER_CONTRACT
    assert page["results"][0]["segment"] == "high_value"
    assert page["results"][0]["predicted_clv"] == "100.00"


def test_segment_members_page_with_cursors(api_client, monkeypatch) -> None:
    monkeypatch.setattr(ByIdCursor, "page_size", 2)
    _segmented(3)

    first = api_client.get("/api/v1/segments/vip/customers/").json()
    second = api_client.get(first["next"]).json()

    assert [c["external_id"] for c in first["results"]] == ["C2", "C1"]
    assert [c["external_id"] for c in second["results"]] == ["C0"]


def test_an_unknown_segment_is_a_404_in_the_error_format(api_client) -> None:
    response = api_client.get("/api/v1/segments/nobody/customers/")

    assert response.status_code == 404
    assert response.json() == {
        "errors": [{"field": None, "code": "not_found", "message": "No segment has this code."}]
    }


def test_clv_runs_list_newest_first_with_their_status(api_client) -> None:
    old = ClvRun.objects.create(as_of=date(2025, 5, 31), status=ClvRun.Status.SUCCEEDED)
    new = ClvRun.objects.create(as_of=date(2025, 6, 30), status=ClvRun.Status.FAILED, error="boom")

    runs = api_client.get("/api/v1/clv/runs/").json()["results"]

    assert [(r["id"], r["status"], r["as_of"]) for r in runs] == [
        (new.pk, "failed", "2025-06-30"),
        (old.pk, "succeeded", "2025-05-31"),
    ]
    assert runs[0]["error"] == "boom"


def test_no_latest_run_is_a_404(api_client) -> None:
    ClvRun.objects.create(as_of=date(2025, 6, 30), status=ClvRun.Status.FAILED)

    response = api_client.get("/api/v1/clv/runs/latest/")

    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == "No CLV run has succeeded yet."


def test_the_latest_run_is_what_recalculate_clv_json_prints(
    api_client, django_capture_on_commit_callbacks
) -> None:
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--customers", "12", "--seed", "7", stdout=out)
        out = StringIO()
        call_command("recalculate_clv", "--json", stdout=out)
    printed = json.loads(out.getvalue().strip().splitlines()[-1])

    latest = api_client.get("/api/v1/clv/runs/latest/").json()
    [listed] = api_client.get("/api/v1/clv/runs/").json()["results"]

    assert latest == printed
    assert {key: listed[key] for key in printed} == printed


def test_a_user_who_cannot_view_customers_sees_no_runs(make_staff) -> None:
    user = make_staff("Analyst")
    user.groups.clear()
    client = APIClient()
    client.force_authenticate(user)

    assert client.get("/api/v1/clv/runs/").status_code == 403
    assert client.get("/api/v1/clv/runs/latest/").status_code == 403
    assert client.put("/api/v1/clv/runs/").status_code == 403  # nothing learnt of the address


@pytest.mark.parametrize("url", ["/api/v1/clv/runs/", "/api/v1/clv/runs/latest/"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_method_the_runs_do_not_serve_is_a_405_even_for_an_admin(
    make_staff, url: str, method: str
) -> None:
    # Found by the schema fuzz test: an Admin's PUT was a 403 ("your role does not allow
    # this"), though no role may write here. (A role without the runs' model permissions
    # gets a 403, as on every endpoint: tests/core/test_api.py.)
    client = APIClient()
    client.force_authenticate(make_staff("Admin"))

    response = getattr(client, method)(url)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response.json() == {
        "errors": [
            {
                "field": None,
                "code": "method_not_allowed",
                "message": f'Method "{method.upper()}" not allowed.',
            }
        ]
    }


@pytest.mark.parametrize("size", [3, 30])
def test_segment_and_run_endpoints_cost_the_same_queries_at_any_size(
    make_staff: Callable[..., User], django_assert_num_queries, size: int
) -> None:
    client = APIClient()
    client.force_login(make_staff("Analyst"))
    _segmented(size)
    ClvRun.objects.bulk_create(
        ClvRun(as_of=date(2025, 1, 1), status=ClvRun.Status.SUCCEEDED) for _ in range(size)
    )

    # Session, user, permissions (2), the latest reassignment, its statistics, the segments.
    with django_assert_num_queries(7):
        segments = client.get("/api/v1/segments/").json()
    # Session, user, permissions (2), the segment, the page of members with everything.
    with django_assert_num_queries(6):
        members = client.get("/api/v1/segments/vip/customers/").json()
    # Session, user, permissions (2), the page of runs.
    with django_assert_num_queries(5):
        runs = client.get("/api/v1/clv/runs/").json()
    # Session, user, permissions (2), the latest successful run.
    with django_assert_num_queries(5):
        latest = client.get("/api/v1/clv/runs/latest/").json()

    assert any(s["size"] == size for s in segments)
    assert len(members["results"]) == size
    assert len(runs["results"]) == size + 1
    assert latest["as_of"]
