"""The API's foundations: tokens, authentication, roles, throttling, errors and the schema."""

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from clvcrm.core.api_tokens import api_token_create
from clvcrm.core.models import ApiToken
from customers.models import ClvRun, Customer, Segment
from tests.api_contract import API_PATHS
from tests.customers.test_api import CUSTOMER_CONTRACT
from tests.url_patterns import url_routes

pytestmark = pytest.mark.django_db

MALFORMED = "Malformed Authorization header: send 'Authorization: Bearer <token>'."
API_ROUTES = (
    "api-customer-list",
    "api-customer-detail",
    "api-customer-orders",
    "api-customer-points",
    "api-segment-list",
    "api-segment-customers",
    "api-clv-run-list",
    "api-clv-run-latest",
)


def _bearer(token: str, scheme: str = "Bearer") -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"{scheme} {token}"}


def _errors(response: Any) -> list[dict[str, Any]]:
    body = response.json()
    assert list(body) == ["errors"], body
    return body["errors"]


@pytest.fixture
def analyst_token(make_staff: Callable[..., User]) -> str:
    _, token = api_token_create(user=make_staff("Analyst", "ana"), name="BI")
    return token


# --------------------------------------------------------------- the command


def test_create_api_token_prints_the_token_last_and_stores_only_its_hash(make_staff) -> None:
    make_staff("Analyst", "ana")
    out = StringIO()

    call_command("create_api_token", "ana", "--name", "Metabase", stdout=out)

    token = out.getvalue().split()[-1]
    row = ApiToken.objects.get()
    assert token.startswith("clv_")
    assert len(token) == 47
    assert (row.user.username, row.name, row.prefix) == ("ana", "Metabase", token[:10])
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert not any(token in value for value in stored)
    assert (row.last_used_at, row.revoked_at) == (None, None)
    client = APIClient()
    assert client.get("/api/v1/customers/", **_bearer(token)).status_code == 200


def test_the_readme_shows_the_command_as_it_prints(make_staff) -> None:
    make_staff("Analyst", "ana")
    out = StringIO()
    call_command("create_api_token", "ana", "--name", "BI dashboard", stdout=out)
    token = out.getvalue().split()[-1]
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()

    shown = out.getvalue().strip().replace(token, "clv_Ab12Cd…").replace(token[:10], "clv_Ab12Cd")
    assert f"# {shown}   (last word)" in readme
    assert 'manage.py create_api_token ana --name "BI dashboard"' in readme


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("nobody", "No user named 'nobody'."),
        ("no\x00body", "No user named 'no\\x00body'."),
        ("gone", "User 'gone' is inactive: activate the account first."),
        ("customer", "User 'customer' is not staff: only staff use the API."),
    ],
)
def test_create_api_token_refuses_unknown_inactive_and_non_staff_users(
    make_staff, username: str, message: str
) -> None:
    gone = make_staff("Analyst", "gone")
    gone.is_active = False
    gone.save()
    User.objects.create_user("customer", password="x")

    with pytest.raises(CommandError) as refused:
        call_command("create_api_token", username, stdout=StringIO())

    assert str(refused.value) == message
    assert not ApiToken.objects.exists()


# --------------------------------------------------------------- authentication


def test_a_token_authenticates_as_bearer_or_token(analyst_token: str) -> None:
    client = APIClient()
    Customer.objects.create(external_id="C1")
    for scheme in ("Bearer", "Token", "bearer"):
        response = client.get("/api/v1/customers/", **_bearer(analyst_token, scheme))
        assert response.status_code == 200, scheme
        assert [c["external_id"] for c in response.json()["results"]] == ["C1"]


@pytest.mark.parametrize(
    ("header", "code", "message"),
    [
        ("Bearer clv_wrong", "invalid_token", "Invalid API token."),
        ("Bearer", "malformed_header", MALFORMED),
        ("Bearer a b", "malformed_header", MALFORMED),
        ("Basic YW5hOnNlY3JldA==", "malformed_header", MALFORMED),
        ("Bearer clv_\u00e9t\u00e9", "invalid_token", "Invalid API token."),
        ("Bearer " + "x" * 5000, "invalid_token", "Invalid API token."),
    ],
)
def test_a_wrong_or_malformed_header_is_a_401_saying_so(
    analyst_token: str, header: str, code: str, message: str
) -> None:
    response = Client().get("/api/v1/customers/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert _errors(response) == [{"field": None, "code": code, "message": message}]
    assert not AccessAttempt.objects.exists()  # no login throttle record: no password tried


def test_a_revoked_token_or_an_inactive_user_is_refused(analyst_token: str) -> None:
    client = APIClient()
    row = ApiToken.objects.get()
    row.revoked_at = timezone.now()
    row.save()
    revoked = client.get("/api/v1/customers/", **_bearer(analyst_token))
    row.revoked_at = None
    row.save()
    User.objects.filter(pk=row.user_id).update(is_active=False)
    inactive = client.get("/api/v1/customers/", **_bearer(analyst_token))

    assert (revoked.status_code, inactive.status_code) == (401, 401)
    assert _errors(revoked) == [
        {"field": None, "code": "revoked_token", "message": "This API token has been revoked."}
    ]
    assert _errors(inactive) == [
        {
            "field": None,
            "code": "inactive_user",
            "message": "The API token's user is inactive or no longer staff.",
        }
    ]


def test_last_use_is_written_at_most_once_a_minute(analyst_token: str) -> None:
    client = APIClient()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/api/v1/customers/", **_bearer(analyst_token))
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        client.get("/api/v1/customers/", **_bearer(analyst_token))
    first = ApiToken.objects.get().last_used_at
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get("/api/v1/customers/", **_bearer(analyst_token))

    assert first == start
    assert ApiToken.objects.get().last_used_at == start + timedelta(seconds=61)


def test_an_unchanged_last_use_costs_no_write(
    analyst_token: str, django_assert_num_queries
) -> None:
    client = APIClient()
    client.get("/api/v1/customers/", **_bearer(analyst_token))
    # The token with its user, the user's permissions (2), the page: no UPDATE.
    with django_assert_num_queries(4):
        assert client.get("/api/v1/customers/", **_bearer(analyst_token)).status_code == 200


def _api_urls() -> list[tuple[str, str]]:
    routes = [r for r in url_routes() if r.name.startswith("api-")]
    assert {r.name for r in routes} >= {*API_ROUTES, "api-schema", "api-docs"}
    return [(r.name, r.url(dict.fromkeys(r.arguments, "C1"))) for r in routes]


@pytest.mark.parametrize(("name", "url"), [u for u in _api_urls() if u[0] != "api-docs"])
def test_without_credentials_every_api_url_answers_401(name: str, url: str) -> None:
    Customer.objects.create(external_id="C1")
    client = APIClient()
    for method in ("get", "post", "put", "patch", "delete", "head", "options"):
        response = getattr(client, method)(url)
        assert response.status_code == 401, f"{method} {url}: {response.status_code}"
        # The docs page and the schema answer in their own formats (HTML, OpenAPI).
        if method != "head" and name in API_ROUTES:
            assert _errors(response) == [
                {
                    "field": None,
                    "code": "not_authenticated",
                    "message": "Authentication credentials were not provided.",
                }
            ]


def test_the_docs_page_sends_a_visitor_without_a_login_to_the_login_page() -> None:
    response = Client().get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/api/docs/"


def test_the_docs_page_and_its_script_open_with_a_token(analyst_token: str) -> None:
    client = APIClient()

    page = client.get("/api/docs/", **_bearer(analyst_token))
    script = client.get("/api/docs/", {"script": ""}, **_bearer(analyst_token))

    assert page.status_code == script.status_code == 200
    assert '<div id="swagger-ui"></div>' in page.content.decode()
    assert script["Content-Type"].startswith("application/javascript")
    assert 'url: "/api/schema/"' in script.content.decode()


@pytest.mark.parametrize("route", API_ROUTES)
def test_an_analyst_token_reads_but_cannot_write(analyst_token: str, route: str) -> None:
    Customer.objects.create(external_id="C1")
    Segment.objects.create(code="C1", name="Custom one", kind=Segment.Kind.CUSTOM)
    ClvRun.objects.create(as_of=date(2025, 6, 30), status=ClvRun.Status.SUCCEEDED)
    url = next(u for n, u in _api_urls() if n == route)
    client = APIClient()

    assert client.get(url, **_bearer(analyst_token)).status_code == 200
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(
            url, {"email": "x@example.com"}, **_bearer(analyst_token)
        )
        assert response.status_code == 403, f"{method} {url}"
        assert _errors(response) == [
            {
                "field": None,
                "code": "permission_denied",
                "message": "You do not have permission to perform this action.",
            }
        ]
    assert Customer.objects.get().email == ""


def test_a_user_in_no_role_gets_403_in_the_error_format(make_staff) -> None:
    user = make_staff("Analyst", "ana")
    user.groups.clear()
    _, token = api_token_create(user=user)

    response = APIClient().get("/api/v1/customers/", **_bearer(token))

    assert response.status_code == 403
    assert _errors(response) == [
        {
            "field": None,
            "code": "permission_denied",
            "message": "You do not have permission to perform this action.",
        }
    ]


def test_session_writes_keep_csrf(make_staff) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(make_staff("Admin"))

    response = client.post("/api/v1/customers/", {})

    assert response.status_code == 403
    [error] = _errors(response)
    assert error["message"].startswith("CSRF Failed")


# --------------------------------------------------------------- throttling


def test_a_token_is_throttled_with_a_429_in_the_error_format(settings, analyst_token) -> None:
    settings.API_TOKEN_THROTTLE_RATE = "3/minute"
    client = APIClient()

    answers = [client.get("/api/v1/customers/", **_bearer(analyst_token)) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    [error] = _errors(answers[-1])
    assert error["code"] == "throttled"
    assert error["field"] is None
    assert error["message"].startswith("Request was throttled. Expected available in ")
    assert 0 < int(answers[-1]["Retry-After"]) <= 60
    # Another token of the same user and address has its own count.
    _, other = api_token_create(user=ApiToken.objects.get().user)
    assert client.get("/api/v1/customers/", **_bearer(other)).status_code == 200


def test_a_client_address_is_throttled_behind_the_trusted_proxies(settings, make_staff) -> None:
    settings.API_CLIENT_IP_THROTTLE_RATE = "2/minute"
    settings.TRUSTED_PROXY_COUNT = 1
    user = make_staff("Analyst", "ana")

    def get(client_address: str, forged: str = "6.6.6.6") -> int:
        client = APIClient(REMOTE_ADDR="10.0.0.2")  # the proxy
        client.force_login(user)  # a session: the token throttle does not count it
        forwarded = f"{forged}, {client_address}"
        return client.get("/api/v1/customers/", HTTP_X_FORWARDED_FOR=forwarded).status_code

    # A forged left-hand entry, different every time, does not make a new client.
    assert [get("198.51.100.1", forged=f"6.6.6.{i}") for i in range(3)] == [200, 200, 429]
    assert get("198.51.100.2") == 200


@pytest.mark.parametrize(
    "credentials",
    [_bearer("clv_" + "x" * 43), _bearer("a b"), {}],
    ids=["wrong token", "malformed header", "no credentials"],
)
def test_refused_authentications_count_against_the_client_address(
    settings, analyst_token, django_assert_num_queries, credentials
) -> None:
    settings.API_CLIENT_IP_THROTTLE_RATE = "3/minute"
    client = APIClient()

    with time_machine.travel(datetime(2026, 4, 2, 12, 0, tzinfo=UTC), tick=False):
        refused = [client.get("/api/v1/customers/", **credentials) for _ in range(3)]
        # Past the rate the guess is not even looked up, and the right token waits too.
        with django_assert_num_queries(0):
            throttled = client.get("/api/v1/customers/", **credentials)
            right = client.get("/api/v1/customers/", **_bearer(analyst_token))
        elsewhere = APIClient(REMOTE_ADDR="198.51.100.9").get(
            "/api/v1/customers/", **_bearer(analyst_token)
        )

    assert [r.status_code for r in refused] == [401, 401, 401]
    assert (throttled.status_code, right.status_code, elsewhere.status_code) == (429, 429, 200)
    assert _errors(throttled) == [
        {
            "field": None,
            "code": "throttled",
            "message": "Request was throttled. Expected available in 60 seconds.",
        }
    ]
    assert throttled["Retry-After"] == "60"


def test_every_api_request_counts_once_against_its_address(settings, analyst_token) -> None:
    settings.API_CLIENT_IP_THROTTLE_RATE = "4/minute"
    client = APIClient()

    # A success, a 404 and a 403 (an Analyst does not delete) count once each, not again in
    # DRF's throttling.
    answers = [
        client.get("/api/v1/customers/", **_bearer(analyst_token)),
        client.get("/api/v1/nothing-here/", **_bearer(analyst_token)),
        client.delete("/api/v1/customers/", **_bearer(analyst_token)),
        client.get("/api/v1/customers/", **_bearer(analyst_token)),
        client.get("/api/v1/customers/", **_bearer(analyst_token)),
    ]

    assert [a.status_code for a in answers] == [200, 404, 403, 200, 429]
    # Pages outside the API are not counted by it.
    assert client.get("/login/").status_code == 200


# --------------------------------------------------------------- errors


def test_a_bad_filter_is_a_400_naming_each_parameter(analyst_token: str) -> None:
    query = {
        "predicted_clv_min": "1e999999",
        "p_alive_min": "2",
        "country": "DEU",
        "tier": "Gold",
    }

    response = APIClient().get("/api/v1/customers/", query, **_bearer(analyst_token))

    assert response.status_code == 400
    assert _errors(response) == [
        {"field": "predicted_clv_min", "code": "invalid", "message": "larger than 999999999999.99"},
        {"field": "p_alive_min", "code": "invalid", "message": "must be at most 1.0"},
        {"field": "country", "code": "invalid", "message": "longer than 2 characters"},
    ]


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ("0", "must be at least 1"),
        ("abc", "not a whole number"),
        (str(2**63), "must be at most 9223372036854775807"),
    ],
)
def test_a_bad_page_size_is_a_400(analyst_token: str, size: str, message: str) -> None:
    response = APIClient().get("/api/v1/customers/", {"page_size": size}, **_bearer(analyst_token))

    assert response.status_code == 400
    assert _errors(response) == [{"field": "page_size", "code": "invalid", "message": message}]


def test_the_schema_documents_the_smallest_page_size(analyst_token: str) -> None:
    # Found by the schema fuzz test: page_size=0 and 2**63 were schema-valid, and answered 400.
    schema = APIClient().get("/api/schema/", {"format": "json"}, **_bearer(analyst_token)).json()

    page_sizes = [
        parameter["schema"]
        for operations in schema["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "page_size"
    ]

    # The eight paged lists: customers, a customer's orders and points, a segment's
    # customers, the CLV runs, the campaigns, the surveys, the marketing spend.
    assert page_sizes == [{"type": "integer", "minimum": 1, "maximum": 2**63 - 1}] * 8


def test_404_and_405_are_in_the_error_format(make_staff) -> None:
    _, token = api_token_create(user=make_staff("Admin", "alice"))
    client = APIClient()

    missing = client.get("/api/v1/customers/NOBODY/", **_bearer(token))
    not_allowed = client.delete("/api/v1/customers/", **_bearer(token))

    assert missing.status_code == 404
    assert _errors(missing) == [{"field": None, "code": "not_found", "message": "Not found."}]
    assert not_allowed.status_code == 405
    assert _errors(not_allowed) == [
        {"field": None, "code": "method_not_allowed", "message": 'Method "DELETE" not allowed.'}
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/", "No API endpoint at /api/; the endpoints are listed at /api/docs/."),
        ("/api/v2/x/", "No API endpoint at /api/v2/x/; the endpoints are listed at /api/docs/."),
        (
            "/api/v1/customers",
            "No API endpoint at /api/v1/customers; did you mean /api/v1/customers/ ?",
        ),
    ],
)
def test_an_address_under_api_that_names_no_endpoint_is_a_404_in_the_format(
    analyst_token: str, url: str, message: str
) -> None:
    client = APIClient()
    for method in ("get", "post", "delete"):
        response = getattr(client, method)(url, **_bearer(analyst_token))
        assert response.status_code == 404
        assert _errors(response) == [{"field": None, "code": "not_found", "message": message}]


def test_validation_errors_flatten_to_dotted_paths() -> None:
    from rest_framework.exceptions import ErrorDetail

    from clvcrm.core.api_errors import validation_errors

    detail = {
        "email": [ErrorDetail("Enter a valid email address.", code="invalid")],
        "non_field_errors": [ErrorDetail("Either email or phone.", code="required")],
        "lines": [{}, {"sku": [ErrorDetail("This field is required.", code="required")]}],
    }
    assert validation_errors(detail) == [
        {"field": "email", "code": "invalid", "message": "Enter a valid email address."},
        {"field": None, "code": "required", "message": "Either email or phone."},
        {"field": "lines.1.sku", "code": "required", "message": "This field is required."},
    ]
    items = [{}, {"total": [ErrorDetail("A number is required.", code="invalid")]}]
    assert validation_errors(items) == [
        {"index": 1, "field": "total", "code": "invalid", "message": "A number is required."}
    ]


# --------------------------------------------------------------- the schema


def test_the_schema_is_valid_openapi_3_and_documents_the_errors(analyst_token: str) -> None:
    response = APIClient().get("/api/schema/", {"format": "json"}, **_bearer(analyst_token))

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == API_PATHS
    components = schema["components"]["schemas"]
    errors = {"type": "array", "items": {"$ref": "#/components/schemas/ApiError"}}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "403", "404", "429"):
                content = operation["responses"][status]["content"]["application/json"]
                documented = components[content["schema"]["$ref"].rsplit("/", 1)[1]]
                assert documented["properties"]["errors"] == errors, (path, status)
                assert "errors" in documented["required"], (path, status)
            assert {"apiToken": []} in operation["security"], (path, method)
    # Only the orders' 400 says more (each order's outcome), in the same format.
    refusals = {
        (path, method): operation["responses"]["400"]["content"]["application/json"]["schema"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }
    assert {key for key, ref in refusals.items() if ref["$ref"].endswith("/Errors")} == (
        set(refusals) - {("/api/v1/orders/", "post")}
    )
    assert set(schema["components"]["schemas"]["ApiError"]["properties"]) == {
        "index",
        "field",
        "code",
        "message",
    }
    customer = schema["components"]["schemas"]["CustomerOutput"]["properties"]
    assert list(customer)[:16] == CUSTOMER_CONTRACT  # the contract, in order


def test_manage_spectacular_validates_without_warnings() -> None:
    out = StringIO()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out
    )
    assert '"openapi": "3.0.3"' in out.getvalue()


# --------------------------------------------------------------- the admin


def test_the_admin_lists_tokens_and_revokes_them_never_showing_the_hash(make_staff) -> None:
    row, token = api_token_create(user=make_staff("Analyst", "ana"), name="BI")
    client = Client()
    client.force_login(make_staff("Admin", "alice"))

    listing = client.get("/admin/core/apitoken/")
    change = client.get(f"/admin/core/apitoken/{row.pk}/change/")
    revoked = client.post(
        "/admin/core/apitoken/", {"action": "revoke", "_selected_action": [row.pk]}, follow=True
    )

    assert listing.status_code == change.status_code == 200
    for page in (listing, change):
        assert row.prefix in page.content.decode()
        assert row.key_hash not in page.content.decode()
        assert token not in page.content.decode()
    assert "Revoked 1 API token(s)." in revoked.content.decode()
    assert ApiToken.objects.get().revoked_at is not None
    assert client.get("/admin/core/apitoken/add/").status_code == 403
    not_revoked = client.get("/admin/core/apitoken/", {"revoked_at__isempty": "1"})
    assert row.prefix not in not_revoked.content.decode()
    assert APIClient().get("/api/v1/customers/", **_bearer(token)).status_code == 401
