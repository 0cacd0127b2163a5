"""API v1 campaigns: create, read, activate, pause, finish, results; roles; bad input."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from campaigns.models import Campaign, SuppressedReason
from campaigns.services.results import campaign_results_compute
from tests.campaigns.builders import results_campaign

pytestmark = pytest.mark.django_db

VARIANT = {
    "name": "A",
    "weight": 3,
    "subject": "We miss you",
    "body_text": "Hello {{ customer.first_name }}",
    "body_html": "<p>Hello</p>",
}
BODY = {
    "name": "Win-back",
    "trigger": {"type": "segment_entered", "segment": "at_risk"},
    "include_current_members": True,
    "holdout_percent": "20.0",
    "attribution_days": 14,
    "variants": [VARIANT, {**VARIANT, "name": "B", "weight": 1}],
}


def client_of(make_staff: Callable[..., User], role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_staff(role))
    return client


@pytest.fixture
def marketing(make_staff: Callable[..., User]) -> APIClient:
    return client_of(make_staff, "Marketing")


def created(client: APIClient, **changes: Any) -> dict[str, Any]:
    response = client.post("/api/v1/campaigns/", {**BODY, **changes}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def errors(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.content
    return response.json()["errors"]


def test_create_activate_pause_and_read_the_results(marketing: APIClient) -> None:
    body = created(marketing)
    pk = body["id"]
    a, b = (variant["id"] for variant in body["variants"])
    assert body == {
        "id": pk,
        "name": "Win-back",
        "description": "",
        "status": "draft",
        "trigger": {
            "type": "segment_entered",
            "segment": "at_risk",
            "every_days": None,
            "tier": None,
        },
        "include_current_members": True,
        "holdout_percent": "20.0",
        "attribution_days": 14,
        "auto_winner": False,
        "winner_metric": "conversion_rate",
        "winner_minimum_per_arm": 1000,
        "winner_alpha": "0.050",
        "priority": 100,
        "from_email": "",
        "reply_to": "",
        "offer_codes": "none",
        "offer_code": "",
        "variants": [
            {**VARIANT, "id": a, "bucket_from": None, "bucket_to": None},
            {**VARIANT, "id": b, "name": "B", "weight": 1, "bucket_from": None, "bucket_to": None},
        ],
        "created_at": body["created_at"],
        "activated_at": None,
        "paused_at": None,
        "finished_at": None,
    }

    activated = marketing.post(f"/api/v1/campaigns/{pk}/activate/")
    assert activated.status_code == 200
    assert activated.json()["status"] == "active"
    # The holdout takes the first 2,000 buckets; A and B share the other 8,000 as 3 to 1.
    assert [(v["bucket_from"], v["bucket_to"]) for v in activated.json()["variants"]] == [
        (2000, 8000),
        (8000, 10000),
    ]
    paused = marketing.post(f"/api/v1/campaigns/{pk}/pause/")
    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    assert paused.json()["paused_at"] is not None

    results = marketing.get(f"/api/v1/campaigns/{pk}/results/")
    zero = {
        "recipients": 0,
        "pending": 0,
        "sending": 0,
        "sent": 0,
        "suppressed": 0,
        "suppressed_by_reason": dict.fromkeys(SuppressedReason.values, 0),
        "failed": 0,
        "opens": 0,
        "opens_total": 0,
        "clicks": 0,
        "clicks_total": 0,
        # Not computed yet: the results are computed after orders come in and nightly.
        "conversions": None,
        "revenue": None,
        "conversion_rate": None,
        "uplift": None,
        "revenue_per_customer": None,
    }
    assert results.status_code == 200
    assert results.json() == {
        "campaign": pk,
        "variants": [
            {"id": a, "name": "A", "weight": 3, **zero},
            {"id": b, "name": "B", "weight": 1, **zero},
        ],
        "holdout": {"recipients": 0, "conversions": None, "revenue": None},
        "srm": None,
        "final": False,
        "computed_at": None,
    }

    resumed = marketing.post(f"/api/v1/campaigns/{pk}/activate/")
    finished = marketing.post(f"/api/v1/campaigns/{pk}/finish/")
    assert (resumed.json()["status"], finished.json()["status"]) == ("active", "finished")


def test_the_results_count_what_was_sent(marketing: APIClient, filled: Campaign) -> None:
    response = marketing.get(f"/api/v1/campaigns/{filled.pk}/results/")

    a, b = response.json()["variants"]
    assert response.json()["holdout"] == {"recipients": 3, "conversions": None, "revenue": None}
    assert {k: a[k] for k in ("recipients", "sent", "suppressed", "opens", "opens_total")} == {
        "recipients": 4,
        "sent": 2,
        "suppressed": 2,
        "opens": 1,
        "opens_total": 3,
    }
    assert a["suppressed_by_reason"]["frequency_cap"] == 1
    assert a["suppressed_by_reason"]["no_consent"] == 1
    assert (a["clicks"], a["clicks_total"]) == (1, 1)
    assert (b["recipients"], b["failed"], b["pending"], b["sent"]) == (2, 1, 1, 0)


def test_other_triggers_are_written_as_sent(marketing: APIClient) -> None:
    recurring = created(
        marketing,
        name="Monthly",
        trigger={"type": "recurring_broadcast", "segment": "high_value", "every_days": 30},
    )
    upgrade = created(marketing, name="Upgrade", trigger={"type": "tier_upgrade", "tier": None})
    warning = created(marketing, name="Warning", trigger={"type": "downgrade_warning"})

    assert recurring["trigger"] == {
        "type": "recurring_broadcast",
        "segment": "high_value",
        "every_days": 30,
        "tier": None,
    }
    assert upgrade["trigger"] == {
        "type": "tier_upgrade",
        "segment": None,
        "every_days": None,
        "tier": None,
    }
    assert warning["trigger"]["type"] == "downgrade_warning"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"trigger": {"type": "segment_entered", "segment": "nope"}},
            [
                {
                    "field": "trigger.segment",
                    "code": "invalid",
                    "message": "No segment has this code.",
                }
            ],
        ),
        (
            {"trigger": {"type": "broadcast"}},
            [
                {
                    "field": "trigger.segment",
                    "code": "invalid",
                    "message": "The broadcast trigger needs a segment.",
                }
            ],
        ),
        (
            {"trigger": {"type": "downgrade_warning", "segment": "at_risk"}},
            [
                {
                    "field": "trigger.segment",
                    "code": "invalid",
                    "message": "Not used by the downgrade_warning trigger.",
                }
            ],
        ),
        (
            {"trigger": {"type": "tier_upgrade", "tier": "Platinum"}},
            [
                {
                    "field": "trigger.tier",
                    "code": "invalid",
                    "message": "No loyalty tier has this name.",
                }
            ],
        ),
        (
            {"holdout_percent": 95},
            [
                {
                    "field": "holdout_percent",
                    "code": "max_value",
                    "message": "Ensure this value is less than or equal to 90.",
                }
            ],
        ),
        (
            {"attribution_days": 10**30},
            [
                {
                    "field": "attribution_days",
                    "code": "max_value",
                    "message": "Ensure this value is less than or equal to 365.",
                }
            ],
        ),
        (
            {"variants": [{**VARIANT, "weight": 0}]},
            [
                {
                    "field": "variants.0.weight",
                    "code": "min_value",
                    "message": "Ensure this value is greater than or equal to 1.",
                }
            ],
        ),
        (
            {"variants": []},
            [
                {
                    "field": "variants",
                    "code": "min_length",
                    "message": "Ensure this field has at least 1 elements.",
                }
            ],
        ),
        (
            {"variants": [VARIANT, VARIANT]},
            [
                {
                    "field": "variants",
                    "code": "invalid",
                    "message": "Each variant needs its own name; used more than once: A.",
                }
            ],
        ),
        (
            {"offer_codes": "shared"},
            [
                {
                    "field": "offer_code",
                    "code": "invalid",
                    "message": "A shared offer code needs the code.",
                }
            ],
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    marketing: APIClient, changes: dict[str, Any], expected: list[dict[str, Any]]
) -> None:
    response = marketing.post("/api/v1/campaigns/", {**BODY, **changes}, format="json")

    assert errors(response) == expected
    assert not Campaign.objects.exists()


def test_a_name_taken_is_a_400_naming_it(marketing: APIClient) -> None:
    created(marketing)

    response = marketing.post("/api/v1/campaigns/", BODY, format="json")

    assert errors(response) == [
        {"field": "name", "code": "invalid", "message": "Campaign with this Name already exists."}
    ]
    assert Campaign.objects.count() == 1


def test_a_create_sent_again_with_its_idempotency_key_gets_the_first_answer(
    marketing: APIClient,
) -> None:
    headers = {"Idempotency-Key": "create-win-back-1"}
    first = marketing.post("/api/v1/campaigns/", BODY, format="json", headers=headers)
    again = marketing.post("/api/v1/campaigns/", BODY, format="json", headers=headers)
    other = marketing.post(
        "/api/v1/campaigns/", {**BODY, "name": "Other"}, format="json", headers=headers
    )

    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert list(Campaign.objects.values_list("name", flat=True)) == ["Win-back"]


def test_a_create_refused_leaves_its_key_free_for_the_corrected_request(
    marketing: APIClient,
) -> None:
    headers = {"Idempotency-Key": "create-win-back-2"}
    refused = marketing.post(
        "/api/v1/campaigns/", {**BODY, "holdout_percent": "101"}, format="json", headers=headers
    )
    fixed = marketing.post("/api/v1/campaigns/", BODY, format="json", headers=headers)

    assert (refused.status_code, fixed.status_code) == (400, 201)
    assert list(Campaign.objects.values_list("name", flat=True)) == ["Win-back"]


def test_a_lifecycle_step_out_of_order_is_a_400(marketing: APIClient) -> None:
    pk = created(marketing)["id"]

    paused = marketing.post(f"/api/v1/campaigns/{pk}/pause/")
    finished = marketing.post(f"/api/v1/campaigns/{pk}/finish/")

    assert errors(paused) == [
        {"field": None, "code": "invalid", "message": "A campaign that is draft cannot be paused."}
    ]
    assert errors(finished)[0]["message"] == "A campaign that is draft cannot be finished."
    assert Campaign.objects.get().status == "draft"


@pytest.mark.parametrize("role", ["Analyst", "Support"])
def test_read_only_roles_read_but_never_write(
    make_staff: Callable[..., User], role: str, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign()
    client = client_of(make_staff, role)

    assert client.get("/api/v1/campaigns/").status_code == 200
    assert client.get(f"/api/v1/campaigns/{campaign.pk}/results/").status_code == 200
    assert client.post("/api/v1/campaigns/", BODY, format="json").status_code == 403
    for action in ("activate", "pause", "finish"):
        assert client.post(f"/api/v1/campaigns/{campaign.pk}/{action}/").status_code == 403
    assert Campaign.objects.get().status == "active"
    assert Campaign.objects.count() == 1


def test_the_actions_answer_only_post(
    marketing: APIClient, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign()

    response = marketing.get(f"/api/v1/campaigns/{campaign.pk}/pause/")

    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    assert marketing.post("/api/v1/campaigns/999999/pause/").status_code == 404


def test_the_list_is_paged_newest_first_in_a_fixed_number_of_queries(
    marketing: APIClient, make_campaign: Callable[..., Campaign]
) -> None:
    for name in ("One", "Two", "Three"):
        make_campaign(name)

    with CaptureQueriesContext(connection) as queries:
        response = marketing.get("/api/v1/campaigns/", {"page_size": 2})

    body = response.json()
    assert [c["name"] for c in body["results"]] == ["Three", "Two"]
    assert body["next"] is not None
    assert body["previous"] is None
    # The user's permissions (user and group), the page of campaigns, their variants.
    assert len(queries) == 4
    following = marketing.get(body["next"]).json()
    assert [c["name"] for c in following["results"]] == ["One"]


def test_the_results_serve_the_latest_computation(marketing: APIClient) -> None:
    t0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    campaign, _ = results_campaign(t0)
    computation = campaign_results_compute(campaign_id=campaign.pk, now=t0 + timedelta(days=3))
    arm = computation.arms.order_by("id")[0]

    with CaptureQueriesContext(connection) as queries:
        response = marketing.get(f"/api/v1/campaigns/{campaign.pk}/results/")

    body = response.json()
    first = body["variants"][0]
    assert {key: first[key] for key in ("recipients", "conversions", "revenue")} == {
        "recipients": 4,
        "conversions": 2,
        "revenue": "60.00",
    }
    assert first["conversion_rate"] == 0.5
    assert first["uplift"] == {
        "absolute": arm.conversion_absolute,
        "relative": arm.conversion_relative,
        "ci_low": arm.conversion_ci_low,
        "ci_high": arm.conversion_ci_high,
        "relative_ci_low": arm.conversion_relative_ci_low,
        "relative_ci_high": arm.conversion_relative_ci_high,
        "p_value": arm.conversion_p_value,
        "p_value_adjusted": arm.conversion_p_value_adjusted,
    }
    assert first["revenue_per_customer"] == {
        "mean": "15.00",
        "absolute": arm.revenue_absolute,
        "relative": arm.revenue_relative,
        "ci_low": arm.revenue_ci_low,
        "ci_high": arm.revenue_ci_high,
        "bootstrap_low": arm.revenue_bootstrap_low,
        "bootstrap_high": arm.revenue_bootstrap_high,
        "p_value": arm.revenue_p_value,
        "p_value_adjusted": arm.revenue_p_value_adjusted,
        "cap": arm.revenue_cap,
    }
    assert body["holdout"] == {"recipients": 3, "conversions": 1, "revenue": "40.00"}
    assert body["srm"] == {"p_value": computation.srm_p_value, "mismatch": False}
    # Three days in, the seven-day windows are open: provisional.
    assert (body["final"], body["computed_at"]) == (False, "2026-03-04T09:00:00Z")
    # The results are read as stored: no query reads the orders.
    assert not [q for q in queries if "customers_order" in q["sql"]]
