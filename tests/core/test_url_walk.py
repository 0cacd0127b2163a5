"""Every URL of the project, walked with garbage in its path and its query: never a 5xx.

The walk reads the URL patterns from the resolver and finds the query parameters each page
reads by watching its ``request.GET`` (and, on admin changelists, by asking the changelist
for its filters and date hierarchy), so a page or parameter added later is walked without
editing this file. Each path argument is filled with an existing row's value and with
garbage; each query parameter gets every garbage value on its own, and two values at once.
Staff pages and the API are walked as an Admin, the Django admin as a superuser, in a shop
whose time zone is east of UTC (where year 1 overflows).

The admin has about thirty models whose pages run the same code: a parameter handled by the
same view on the same kind of field (its "signature") gets every garbage value the first
time and one value, in turn, on each later model, so every code path sees every value in a
few thousand requests.
"""

import base64
import json
from collections import Counter
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import StringIO
from typing import Any
from urllib.parse import quote

import django.test.client
import pytest
from axes.models import AccessFailureLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import FieldDoesNotExist
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.http import QueryDict
from django.test import Client, RequestFactory
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, IntervalSchedule, SolarSchedule

from campaigns.models import (
    Assignment,
    AudienceMember,
    ClvEffect,
    Message,
    MessageEvent,
    MessageLink,
    ProductAffinity,
    Suppression,
    TriggerCursor,
    WinnerDecision,
)
from campaigns.services.campaigns import campaign_activate, campaign_create
from campaigns.services.results import campaign_results_compute
from clvcrm.core.api_tokens import api_token_create
from clvcrm.core.models import TaskFailure
from customers.clv_runs.value_bands import current_cut
from customers.integrations.signatures import signature_of
from customers.models import (
    AcquisitionChannel,
    ClvRun,
    ClvRunPart,
    ConnectedShop,
    Customer,
    MarketingSpend,
    OrderImport,
    Product,
    Segment,
    WebhookEvent,
)
from customers.services.interactions import task_create, task_note_add
from customers.services.segments import custom_segment_save
from feedback.models import Invitation
from feedback.services.invitations import survey_invite
from feedback.services.responses import response_submit
from feedback.services.surveys import survey_create
from tests.datasets import data_file
from tests.url_patterns import Route, url_routes

pytestmark = pytest.mark.django_db


def _cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


# Cursors of the staff lists' keyset pages and of the API, tampered with: a date without
# its value (the finding: KeyError), an impossible date, a number or a naive moment where a
# moment belongs, year 1, an id beyond 64 bits, nulls, nesting, infinity, deep nesting, not
# UTF-8, DRF's "p=1e999" (the API finding), a position beyond 64 bits, NUL, not base64.
TAMPERED_CURSORS = (
    "W3sidCI6ICJkYXRlIn0sIDVd",
    _cursor([{"t": "date", "v": "2025-02-30"}, 5]),
    _cursor([{"t": "datetime", "v": 5}, 5]),
    _cursor([{"t": "datetime", "v": "2025-01-01T00:00:00"}, 5]),
    _cursor([{"t": "date", "v": "0001-01-01"}, 5]),
    _cursor(["x", "y", 99999999999999999999]),
    _cursor([None, None, None]),
    _cursor([[1], {"a": 1}]),
    base64.urlsafe_b64encode(b"[1e999, 5]").decode(),
    base64.urlsafe_b64encode(b"[" * 3000).decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "cD0xZTk5OQ==",
    base64.b64encode(b"p=99999999999999999999&r=1&o=99999999999").decode(),
    base64.b64encode(b"p=%00&o=-1").decode(),
    "!!!not base64!!!",
)
GARBAGE = (
    "",
    "abc",
    "a\x00b",
    "9" * 10_000,
    "a " * 5_000,
    "²",
    "١٢٣",
    "1e999999",
    "-1",
    "99999999999999999999",
    "0001-01-01",
    "9999",
    "2025-02-30",
    "%",
)
# A parameter given twice (``?after=a&after=b``).
ARRAYS = (["a", "b"], [TAMPERED_CURSORS[0], "1"])
INT_PATH_GARBAGE = ("0", "99999999999999999999", "-1")
PATH_GARBAGE = (
    *INT_PATH_GARBAGE,
    "abc",
    "\x00",
    "x" * 10_000,
    "²",
    "١٢٣",
    "1e999999",
    "0001-01-01",
)
# Admin changelists also read parameters from a plain dict: ordering and any field lookup.
ADMIN_CHANGELIST_KEYS = ("o", "id__gt", "pk")
DATE_HIERARCHY_DAYS = (
    {"year": "9999"},
    {"year": "9999", "month": "12"},
    {"year": "9999", "month": "12", "day": "31"},
    {"year": "1"},
    {"year": "1", "month": "1", "day": "1"},
)
# Pages that answer only with these parameters.
BASE_QUERIES = {
    "admin:autocomplete": {
        "app_label": "customers",
        "model_name": "customer",
        "field_name": "acquisition_channel",
    }
}
# Routes that never answer a page to a GET, and why; every other route must answer one.
NO_PAGE = {
    "login": "redirects a logged-in user",
    "logout": "POST only",
    "customers:points_change": "POST only",
    "workspace:recalculate": "POST only: queues a CLV run, then redirects",
    "customers:note_add": "POST only: adds the note, then back to the customer page",
    "customers:task_create": "POST only: creates the task, then back to the customer page",
    "customers:task_update": "POST only: changes the task, then back to its page",
    "customers:task_status": "POST only: the inbox's status change, then back",
    "customers:task_take": "POST only: assigns the task to the staff member, then back",
    "customers:task_note": "POST only: adds the note, then back to the task's page",
    "campaigns:activate": "POST only: activates or resumes, then redirects",
    "campaigns:pause": "POST only: pauses, then redirects",
    "campaigns:variant-test-send": "POST only: mails the preview to the staff member",
    "api-campaign-activate": "POST only (GET answers 405)",
    "api-campaign-pause": "POST only (GET answers 405)",
    "api-campaign-finish": "POST only (GET answers 405)",
    "campaign-links:click": "a sent email's link: the walk's token is not signed, so 404",
    "campaign-links:unsubscribe": "a sent email's link: the walk's token is not signed, so 404",
    "survey-answers:answer": "a survey invitation's link: the walk's token is nobody's, so 404",
    "api-survey-invite": "POST only (GET answers 405)",
    "api-customer-erase": "POST only (GET answers 405): erases a customer's personal data",
    "anymail:postmark_tracking_webhook": "POST only, with the email service's basic auth",
    "api-not-found": "the API's answer to an address that names no endpoint: always 404",
    "api-orders": "POST only: orders sent to be imported (GET answers 405)",
    "webhook-shopify": "POST only: a shop's signed delivery (GET answers 405)",
    "webhook-woocommerce": "POST only: a shop's signed delivery (GET answers 405)",
    "admin:": "unnamed: an object's bare address redirects, the catch-all redirects or 404s",
    "admin:login": "redirects a logged-in user",
    "admin:logout": "POST only",
    "admin:view_on_site": "no model here has get_absolute_url",
}


# --------------------------------------------------------------------------- the shop


@pytest.fixture
def shop(django_capture_on_commit_callbacks: Any, make_staff: Any) -> None:
    """A small shop with at least one row in every table the admin shows."""
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--customers", "12", "--seed", "7", stdout=out)
        call_command("recalculate_clv", stdout=out)
        call_command("backtest_clv", stdout=out)
        uploader = make_staff("Support", username="uploader")
        _upload_with_a_rejected_row(uploader)
    _uploads_of_other_layouts(uploader, django_capture_on_commit_callbacks)
    _webhook_delivery(django_capture_on_commit_callbacks)
    custom = Segment(kind=Segment.Kind.CUSTOM, code="bronze", name="Bronze members")
    custom.rules = [{"field": "tier", "op": "eq", "value": "Bronze"}]
    custom_segment_save(segment=custom)
    run = ClvRun.objects.get()
    ClvRunPart.objects.create(run=run, number=0, first_customer_id=0, end_customer_id=10)
    # A failed login makes the throttle's attempt row; its failure log is off by default.
    failed = Client().post("/login/", {"username": "uploader", "password": "wrong"})
    assert failed.status_code == 200
    AccessFailureLog.objects.create(username="uploader", ip_address="127.0.0.1", locked_out=False)
    TaskFailure.objects.create(task_name="clvcrm.pipeline.tasks.clv_recalculate", exception="boom")
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    SolarSchedule.objects.create(event="sunrise", latitude=51.5, longitude=0)
    IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    api_token_create(user=User.objects.get(username="uploader"), name="walk")
    _campaign_with_a_message()
    _survey_with_an_answer()
    channel = AcquisitionChannel.objects.order_by("pk").first()
    assert channel is not None
    MarketingSpend.objects.create(month=date(2025, 1, 1), channel=channel, amount=Decimal("1"))
    _task_with_a_note(uploader)


def _survey_with_an_answer() -> None:
    """A survey, its invitation to a customer and their answer (each feedback table)."""
    survey = survey_create(fields={"name": "Walk survey", "trigger": "manual"})
    customer = Customer.objects.exclude(email="").order_by("id").first()
    assert customer is not None
    survey_invite(survey_id=survey.pk, customer_ids=[customer.pk])
    invitation = Invitation.objects.select_related("survey").get(survey=survey)
    response_submit(invitation=invitation, score=9, comment="Walk", language="en")


def _task_with_a_note(user: User) -> None:
    """A task on a customer and a note written on it (the notes and tasks tables), and
    the cut-off of a value band (the inbox's filter stores it)."""
    current_cut(20)
    customer = Customer.objects.order_by("id").first()
    assert customer is not None
    task = task_create(
        customer=customer, title="Walk", due_on=timezone.localdate(), created_by=user
    )
    task_note_add(task_id=task.pk, author=user, body="Walk")


def _campaign_with_a_message() -> None:
    """An active campaign with a recipient in a variant and one in the holdout, the message
    opened and clicked, its results computed, and a suppressed address (each campaigns table
    has a row)."""
    campaign = campaign_create(
        fields={
            "name": "Walk",
            "trigger": "segment_entered",
            "segment": Segment.objects.get(code="at_risk"),
        },
        variants=[{"name": "A", "subject": "Hi", "body_text": "Hello"}],
    )
    campaign = campaign_activate(campaign_id=campaign.pk)
    variant = campaign.variants.get()
    first, last = (
        Customer.objects.order_by("pk")[:1].get(),
        Customer.objects.order_by("-pk")[:1].get(),
    )
    now = timezone.now()
    Assignment.objects.create(
        campaign=campaign, customer=last, variant=None, trigger_ref="activation", triggered_at=now
    )
    assignment = Assignment.objects.create(
        campaign=campaign,
        customer=first,
        variant=variant,
        trigger_ref="activation",
        triggered_at=now,
    )
    message = Message.objects.create(
        assignment=assignment,
        campaign=campaign,
        customer=first,
        variant=variant,
        trigger_ref="activation",
        triggered_at=now,
        status="sent",
        sent_at=now,
        opens=1,
    )
    link = MessageLink.objects.create(message=message, position=0, url="https://shop.example/")
    MessageEvent.objects.create(message=message, kind="open", user_agent="walk")
    MessageEvent.objects.create(message=message, kind="click", link=link, user_agent="walk")
    AudienceMember.objects.create(campaign=campaign, customer=first)
    TriggerCursor.objects.update_or_create(source="tier_changes", defaults={"last_id": 1})
    Suppression.objects.create(email="bounced@example.com", reason="hard_bounce")
    first_product, second_product = Product.objects.order_by("id")[:2]
    ProductAffinity.objects.get_or_create(
        product=first_product, also_bought=second_product, defaults={"customers": 2}
    )
    campaign_results_compute(campaign_id=campaign.pk)
    WinnerDecision.objects.create(
        campaign=campaign,
        decided_at=now,
        metric="conversion_rate",
        alpha=Decimal("0.05"),
        minimum_per_arm=10,
        reason="Walk",
        holdout_assigned=1,
    )
    ClvEffect.objects.create(
        campaign=campaign,
        run=ClvRun.objects.create(as_of=now.date(), status=ClvRun.Status.SUCCEEDED),
        measured_at=now,
    )


def _upload_with_a_rejected_row(user: User) -> None:
    client = Client()
    client.force_login(user)
    rows = "customer_id,order_id,placed_at,amount\nC-9,O-9,2025-01-01,1.00\nC-9,O-10,x,1\n"
    upload = SimpleUploadedFile("orders.csv", rows.encode(), content_type="text/csv")
    assert client.post("/customers/imports/", {"file": upload}).status_code == 302


def _uploads_of_other_layouts(user: User, on_commit: Any) -> None:
    """One file mapped (a remembered column mapping), then one waiting for its mapping."""
    client = Client()
    client.force_login(user)
    required = ("customer_id", "order_id", "placed_at", "amount")
    for header in ("Kunde,Bestellung,Datum,Betrag", "Client,Commande,Date,Montant"):
        upload = SimpleUploadedFile("other.csv", f"{header}\nK1,B1,2025-01-01,1.00\n".encode())
        with on_commit(execute=True):
            assert client.post("/customers/imports/", {"file": upload}).status_code == 302
        if header.startswith("Kunde"):
            columns = dict(zip(required, header.split(","), strict=True))
            latest = OrderImport.objects.latest("pk").pk
            with on_commit(execute=True):
                client.post(f"/customers/imports/{latest}/columns/", columns)


def _webhook_delivery(on_commit: Any) -> None:
    """A connected shop's signed order with a refund: its event and counted refund."""
    secret = "walk-secret"
    ConnectedShop.objects.create(platform="shopify", domain="walk.myshopify.com", secret=secret)
    body = data_file("shopify_webhook_order_refunded.json").read_bytes()
    headers = {
        "X-Shopify-Topic": "orders/updated",
        "X-Shopify-Hmac-Sha256": signature_of(secret, body),
        "X-Shopify-Shop-Domain": "walk.myshopify.com",
        "X-Shopify-Webhook-Id": "walk-1",
    }
    with on_commit(execute=True):
        response = Client().post(
            "/api/v1/webhooks/shopify/", body, content_type="application/json", headers=headers
        )
    assert response.status_code == 200
    assert WebhookEvent.objects.get().outcome == "imported"


def test_the_shop_has_a_row_in_every_admin_table(shop: None) -> None:
    """So the walk opens every change, delete and history page of an existing object."""
    assert [m.__name__ for m in admin.site._registry if not m._default_manager.exists()] == []


# --------------------------------------------------------------------------- the walk


@dataclass
class Walk:
    """One walk: its client, the 5xx it met (with what was sent) and the signatures seen."""

    client: Client
    errors: list[str] = field(default_factory=list)
    seen: Counter[Hashable] = field(default_factory=Counter)

    def get(self, url: str, query: dict[str, Any] | None = None) -> Any:
        """GET ``url``; an exception or a 5xx is recorded and answers ``None``."""
        try:
            with transaction.atomic():  # a failed query leaves the test's transaction usable
                response = self.client.get(url, query or {})
        except Exception as exc:  # the walk records every failure and goes on
            self.errors.append(f"{_shown(url, query)}: {type(exc).__name__}: {str(exc)[:200]}")
            return None
        if response.status_code >= 500:
            self.errors.append(f"{_shown(url, query)}: status {response.status_code}")
            return None
        return response

    def values(self, signature: Hashable | None, values: tuple[Any, ...]) -> list[Any]:
        """Every value the first time a signature is walked, then one in turn."""
        if signature is None:
            return list(values)
        turn = self.seen[signature]
        self.seen[signature] += 1
        return list(values) if turn == 0 else [values[turn % len(values)]]


def _shown(url: str, query: dict[str, Any] | None) -> str:
    short = {k: v[:30] if isinstance(v, str) else v for k, v in (query or {}).items()}
    return f"{url[:100]} {short if short else ''}"


@contextmanager
def _keys_read(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """The query parameter names read from any ``QueryDict`` inside the block."""
    keys: set[str] = set()
    with monkeypatch.context() as patch:
        for name in ("__getitem__", "__contains__", "get", "getlist"):
            original = getattr(QueryDict, name)

            def spy(self: QueryDict, key: str, *args: Any, _original: Any = original) -> Any:
                keys.add(key)
                return _original(self, key, *args)

            patch.setattr(QueryDict, name, spy)
        yield keys


def _model_admin(route: Route) -> admin.ModelAdmin | None:
    """The model admin serving an admin route (``None`` for the site's own pages)."""
    model_admin = getattr(route.callback, "model_admin", None)
    view = getattr(route.callback, "__wrapped__", None)
    model_admin = model_admin or getattr(view, "__self__", None)
    return model_admin if isinstance(model_admin, admin.ModelAdmin) else None


def _view_name(route: Route) -> str:
    view = getattr(route.callback, "__wrapped__", route.callback)
    return getattr(view, "__name__", route.name)  # an override's name: the same view


def _existing(route: Route, name: str, kind: str) -> list[str]:
    """Path values naming existing rows: the admin's model's, or every model's first and last."""
    if kind not in ("int", "str", "path", "slug"):
        alternatives = kind.split("|")
        return alternatives if all(a.isidentifier() for a in alternatives) else ["x"]
    model_admin = _model_admin(route)
    if model_admin is not None:
        first = model_admin.model._default_manager.order_by("pk").values_list("pk", flat=True)
        return [str(pk) for pk in first[:1]]
    values: list[str] = []
    for model in apps.get_models():
        column = name if name != "id" and _has_field(model, name) else "pk"
        rows = model._default_manager.values_list(column, flat=True)
        for value in [*rows.order_by("pk")[:1], *rows.order_by("-pk")[:1]]:
            if (kind != "int" or isinstance(value, int)) and str(value) not in values:
                values.append(str(value))
    return values


def _has_field(model: Any, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _path_garbage(walk: Walk, route: Route, name: str, kind: str) -> list[str]:
    garbage = INT_PATH_GARBAGE if kind == "int" else PATH_GARBAGE
    if kind not in ("int", "str", "path", "slug", ".*"):
        return []  # a regex of alternatives: garbage would not reach the view
    model_admin = _model_admin(route)
    signature = None
    if model_admin is not None:
        signature = (_view_name(route), name, type(model_admin.model._meta.pk).__name__)
    return walk.values(signature, garbage)


def _walk_paths(walk: Walk, route: Route) -> tuple[str | None, Any]:
    """GET the route with each fill of its path: a URL to walk further, and its page."""
    base_query = BASE_QUERIES.get(route.name, {})
    existing = {name: _existing(route, name, kind) for name, kind in route.arguments.items()}
    base = {name: quote(values[0] if values else "1", safe="") for name, values in existing.items()}
    page = usable = None
    for name, kind in route.arguments.items() or {"": ""}.items():
        fills = existing.get(name, [""])
        for value in [*fills, *_path_garbage(walk, route, name, kind)]:
            url = route.url({**base, name: quote(value, safe="")} if name else base)
            response = walk.get(url, base_query)
            if response is not None and response.status_code == 200 and value in fills:
                page = page or (url, response)
                fills = []  # the other rows' ids are no new case
            elif response is not None:
                usable = usable or (url, None)
    return page or usable or (None, None)


def _admin_keys(probe: Any) -> tuple[set[str], list[dict[str, str]]]:
    """Parameters an admin changelist reads from its filters, and date hierarchy days."""
    changelist = (getattr(probe, "context_data", None) or {}).get("cl")
    if changelist is None:
        return set(), []
    keys = set(ADMIN_CHANGELIST_KEYS)
    for spec in changelist.filter_specs:
        keys.update(spec.expected_parameters())
    if not changelist.date_hierarchy:
        return keys, []
    prefix = changelist.date_hierarchy
    keys.update(f"{prefix}__{part}" for part in ("year", "month", "day"))
    return keys, [{f"{prefix}__{k}": v for k, v in day.items()} for day in DATE_HIERARCHY_DAYS]


def _query_signature(route: Route, key: str) -> Hashable | None:
    """What decides how an admin page handles ``key``: the view and the field's kind."""
    model_admin = _model_admin(route)
    if model_admin is None:
        return None
    if key == "q" and _view_name(route) == "changelist_view":
        return (_view_name(route), key, tuple(model_admin.search_fields))
    name, _, lookup = key.partition("__")
    meta = model_admin.model._meta
    if name != "pk" and not _has_field(model_admin.model, name):
        return (_view_name(route), key)
    field = meta.pk if name == "pk" else meta.get_field(name)
    return (_view_name(route), type(field).__name__, lookup)


def _walk_query(
    walk: Walk, route: Route, url: str, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GET ``url`` (which answered ``page``) with garbage in each query parameter it reads."""
    base = BASE_QUERIES.get(route.name, {})
    with _keys_read(monkeypatch) as keys:
        walk.get(url, {**base, "walk-probe": "1"})  # a query string, so that forms bind
    keys.discard("walk-probe")
    admin_keys, queries = _admin_keys(page)
    values = GARBAGE if route.name.startswith("admin:") else GARBAGE + TAMPERED_CURSORS
    for key in sorted(keys | admin_keys):
        signature = _query_signature(route, key)
        queries += [{key: value} for value in walk.values(signature, (*values, *ARRAYS))]
    for query in queries:
        walk.get(url, {**base, **query})


def _walk(walk: Walk, routes: list[Route], monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Walk ``routes``; the names of those that answered no page."""
    without_page = set()
    for route in routes:
        url, page = _walk_paths(walk, route)
        if page is None:
            without_page.add(route.name)
        if url is not None:
            _walk_query(walk, route, url, page, monkeypatch)
    return without_page


@pytest.fixture
def walk(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Walk:
    """A walk in a shop east of UTC, with a client that keeps no template contexts."""
    settings.TIME_ZONE = "Asia/Kolkata"  # +05:30: midnight of year 1 is before year 1 in UTC
    # The walk reads no rendered contexts (only a TemplateResponse's own context_data);
    # the test client's copy of every one of them is a third of the walk's time.
    monkeypatch.setattr(django.test.client, "store_rendered_templates", lambda *a, **k: None)
    return Walk(Client())


def test_staff_pages_and_the_api_never_answer_5xx(
    shop: None, walk: Walk, make_staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk.client.force_login(make_staff("Admin", username="walker"))
    routes = [r for r in url_routes() if not r.name.startswith("admin:")]

    without_page = _walk(walk, routes, monkeypatch)

    assert not walk.errors, "\n".join(walk.errors[:40])
    assert without_page == {name for name in NO_PAGE if not name.startswith("admin:")}


# The admin's date hierarchy builds a naive moment from year 1, as asked: Django warns of it.
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning")
def test_the_admin_never_answers_5xx(
    shop: None, walk: Walk, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = User.objects.create_superuser("root", "root@example.com", "pw-123")
    walk.client.force_login(root)
    routes = [r for r in url_routes() if r.name.startswith("admin:")]

    without_page = _walk(walk, routes, monkeypatch)

    assert not walk.errors, "\n".join(walk.errors[:40])
    refused = {r.name for r in routes if _refused_to_superuser(r, root)}
    assert without_page == {name for name in NO_PAGE if name.startswith("admin:")} | refused


def _refused_to_superuser(route: Route, root: User) -> bool:
    """An add or delete page the model admin refuses even a superuser (read-only tables)."""
    model_admin = _model_admin(route)
    if model_admin is None:
        return False
    request = RequestFactory().get("/")
    request.user = root
    if route.name.endswith("_add"):
        return not model_admin.has_add_permission(request)
    first = model_admin.model._default_manager.order_by("pk").first()
    return route.name.endswith("_delete") and not model_admin.has_delete_permission(request, first)
