"""Every operation of the published OpenAPI schema, fuzzed by schemathesis as an Admin.

Issue 11's acceptance: a bounded, deterministic run over every operation, authenticated with
an Admin's API token, against a database with real rows; no server error; every answer's
status, content type and body as the schema documents them; no request taken without valid
credentials; a 405 with ``Allow`` for a method an address does not serve. (Not checked:
that every schema-valid request is accepted, since a cursor is opaque and business rules refuse
some, e.g. redeeming more points than the balance.)

The schema is the one ``/api/schema/`` serves (the same generator and renderer; the first
test checks they agree), built at import: drf-spectacular reads no database to build it, and
schemathesis's lazy loader (``schemathesis.pytest.from_fixture``) does not run on pytest 9.2.
"""

import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis import Case, CheckContext, Response
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok

from campaigns.models import Assignment, Campaign, Variant
from campaigns.services.results import campaign_results_compute
from clvcrm.core.api_tokens import api_token_create
from customers.models import (
    AcquisitionChannel,
    ClvRun,
    Customer,
    LoyaltyTier,
    MarketingSpend,
    PointsEntry,
    Segment,
)
from feedback.services.surveys import survey_create
from tests.factories import order_with_coffee, score_and_place


def admin_not_refused(ctx: CheckContext, response: Response, case: Case) -> None:
    """The Admin holds every permission the API asks for: a 403 to them is a method or an
    address refused by role where no role could be allowed (it must be a 405 or a 404)."""
    if response.status_code == 403:
        raise AssertionError(f"403 to the Admin: {case.method} {case.formatted_path}")


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    # The same request without the token, or with a wrong one, must be refused.
    ignored_auth,
    # A method an address does not serve: 405, with the Allow header naming those it does.
    unsupported_method,
    allow_header_conformance,
    # unsupported_method takes a 403 for an unserved method as the role check's answer.
    admin_not_refused,
]
CUSTOMER_IDS = ["C0", "C1", "C2"]
SEGMENT_CODES = ["high_value", "vip"]
# Fixed ids (far above what the sequence gives the campaigns the fuzzing creates): a draft,
# an active and a paused campaign, so the lifecycle actions meet each state; the surveys
# have the same ids (one parameter, ``id``, names both): a manual, an after-order and an
# expired one.
CAMPAIGN_IDS = [900_001, 900_002, 900_003]
# Most generated addresses name a customer or segment the database holds (so the answers are
# real rows, and writes reach the services); the rest are any string (the 404s).
CONFIG = SchemathesisConfig.from_dict(
    {
        "dictionaries": {
            "customers": {"values": CUSTOMER_IDS},
            "segments": {"values": SEGMENT_CODES},
            "campaigns": {"values": CAMPAIGN_IDS},
        },
        "parameters": {
            "path.external_id": {"dictionary": "customers", "probability": 0.8},
            "path.code": {"dictionary": "segments", "probability": 0.8},
            "path.id": {"dictionary": "campaigns", "probability": 0.8},
        },
    }
)


def published_schema() -> dict[str, Any]:
    """The OpenAPI document as ``/api/schema/?format=json`` serves it."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(published_schema(), config=CONFIG)
schema.app = get_wsgi_application()


@pytest.fixture
def _connection_kept() -> Iterator[None]:
    """Requests through the WSGI application keep the test's database connection (and its
    transaction) open, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(make_staff: Callable[..., User], _connection_kept: None) -> str:
    """An Admin's API token, and a shop to answer from: three customers with scores from a
    finished CLV run, in the high_value segment and the Gold tier, an order and 100 points
    each, and a custom segment."""
    token = api_token_create(user=make_staff("Admin"))[1]
    run = ClvRun.objects.create(
        as_of=date(2025, 6, 30), status=ClvRun.Status.SUCCEEDED, finished_at=timezone.now()
    )
    Segment.objects.create(code="vip", name="VIP", kind=Segment.Kind.CUSTOM)
    gold = LoyaltyTier.objects.create(name="Gold", rank=2, min_orders=3)
    for external_id in CUSTOMER_IDS:
        customer = Customer.objects.create(
            external_id=external_id, email=f"{external_id.lower()}@example.com"
        )
        score_and_place(customer, run, clv="912.40", p_alive=0.93, tier=gold, points=100)
        order_with_coffee(customer, external_id=f"O-{external_id}")
        PointsEntry.objects.create(
            customer=customer, kind=PointsEntry.Kind.ADJUST, points=100, reason="Welcome"
        )
    _campaigns()
    _surveys()
    channel = AcquisitionChannel.objects.create(name="Referral")
    MarketingSpend.objects.create(month=date(2025, 1, 1), channel=channel, amount=100)
    return token


def _campaigns() -> None:
    """Three campaigns with the fixed ids, each with a variant: draft, active, paused; the
    active one has assigned the three customers (two the variant) and computed results."""
    for pk, status in zip(CAMPAIGN_IDS, ("draft", "active", "paused"), strict=True):
        campaign = Campaign.objects.create(
            id=pk,
            name=f"Campaign {pk}",
            trigger="segment_entered",
            segment=Segment.objects.get(code="high_value"),
            status=status,
        )
        Variant.objects.create(
            campaign=campaign,
            name="A",
            subject="Hello",
            body_text="Hi",
            bucket_from=None if status == "draft" else 1000,
            bucket_to=None if status == "draft" else 10000,
        )
    active = Campaign.objects.get(pk=CAMPAIGN_IDS[1])
    arms = (active.variants.get(), active.variants.get(), None)
    for customer, variant in zip(Customer.objects.order_by("id"), arms, strict=True):
        Assignment.objects.create(
            campaign=active,
            customer=customer,
            variant=variant,
            trigger_ref="activation",
            triggered_at=timezone.now(),
        )
    campaign_results_compute(campaign_id=active.pk)


def _surveys() -> None:
    """Three surveys with the fixed ids: manual, after an order, and one no longer active."""
    triggers: list[dict[str, Any]] = [
        {"trigger": "manual"},
        {"trigger": "after_order", "after_order_days": 7},
        {"trigger": "manual", "active_until": timezone.now()},
    ]
    for pk, fields in zip(CAMPAIGN_IDS, triggers, strict=True):
        survey_create(fields={"id": pk, "name": f"Survey {pk}", **fields})


@pytest.mark.django_db
def test_the_fuzzed_schema_is_the_one_served(make_staff: Callable[..., User]) -> None:
    client = APIClient()
    client.force_authenticate(make_staff("Admin"))

    served = client.get("/api/schema/", {"format": "json"})

    assert served.status_code == 200
    assert json.loads(served.content) == published_schema()
    # Every operation is fuzzed; the shop webhooks (signed, plain Django views) are not in it.
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results)  # no operation the schema fails to describe
    assert sorted(operation.label for operation in operations) == [
        "GET /api/v1/campaigns/",
        "GET /api/v1/campaigns/{id}/",
        "GET /api/v1/campaigns/{id}/results/",
        "GET /api/v1/clv/runs/",
        "GET /api/v1/clv/runs/latest/",
        "GET /api/v1/customers/",
        "GET /api/v1/customers/{external_id}/",
        "GET /api/v1/customers/{external_id}/export/",
        "GET /api/v1/customers/{external_id}/orders/",
        "GET /api/v1/customers/{external_id}/points/",
        "GET /api/v1/kpis/",
        "GET /api/v1/marketing-spend/",
        "GET /api/v1/segments/",
        "GET /api/v1/segments/{code}/customers/",
        "GET /api/v1/surveys/",
        "GET /api/v1/surveys/{id}/",
        "GET /api/v1/surveys/{id}/nps/",
        "PATCH /api/v1/customers/{external_id}/",
        "PATCH /api/v1/surveys/{id}/",
        "POST /api/v1/campaigns/",
        "POST /api/v1/campaigns/{id}/activate/",
        "POST /api/v1/campaigns/{id}/finish/",
        "POST /api/v1/campaigns/{id}/pause/",
        "POST /api/v1/customers/",
        "POST /api/v1/customers/{external_id}/erase/",
        "POST /api/v1/customers/{external_id}/points/",
        "POST /api/v1/marketing-spend/",
        "POST /api/v1/orders/",
        "POST /api/v1/surveys/",
        "POST /api/v1/surveys/{id}/invite/",
    ]


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,  # the same examples on every run: CI stays stable
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_documented(case: Case, admin_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)
