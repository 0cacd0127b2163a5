"""Every URL refuses anonymous visitors, except the ones meant to be public."""

import pytest

from tests.url_patterns import url_routes

pytestmark = pytest.mark.django_db

# Public on purpose: the login pages (and logout, which only answers POST); the links in
# sent emails (signed tokens: tests/campaigns/test_tracking_tokens.py); the email service's
# webhooks (anymail's, with HTTP basic auth: tests/campaigns/test_tracking_bounces.py).
PUBLIC = {"login", "logout", "admin:login", "admin:logout"}
PUBLIC_NAMESPACES = ("campaign-links:", "survey-answers:", "anymail:")
# Sample values for the arguments of each pattern, by argument name.
SAMPLES = {
    "pk": "1",
    "id": "1",
    "external_id": "C-1",
    "code": "high_value",
    "app_label": "customers",
    "model_name": "customer",
    "object_id": "1",
    "content_type_id": "1",
    "url": "nowhere",
    "format": "json",
    "token": "x",
}


def all_urls() -> list[tuple[str, str]]:
    return sorted(
        {
            (route.name, route.url({name: SAMPLES[name] for name in route.arguments}))
            for route in url_routes()
        }
    )


def test_the_walk_covers_the_apps() -> None:
    names = {name for name, _ in all_urls()}
    assert {
        "home",
        "customers:list",
        "customers:detail",
        "customers:imports",
        "customers:import_detail",
        "customers:import_report",
        "api-customer-list",
        "api-customer-detail",
        "api-customer-orders",
        "api-customer-points",
        "api-segment-list",
        "api-segment-customers",
        "api-clv-run-list",
        "api-clv-run-latest",
        "api-schema",
        "api-docs",
        "admin:index",
    } <= names


@pytest.mark.parametrize(("name", "url"), all_urls())
def test_anonymous_requests_are_refused(client, name: str, url: str) -> None:
    if name in PUBLIC or name.startswith(PUBLIC_NAMESPACES):
        return
    for method in (client.get, client.post):
        response = method(url)
        if response.status_code in (301, 302):
            location = response["Location"]
            assert "/login/" in location, f"{name} {url} redirects to {location}"
        else:
            assert response.status_code in (401, 403, 405), f"{name} {url}: {response.status_code}"


def test_public_pages_are_the_login_pages(client) -> None:
    assert client.get("/login/").status_code == 200
    assert client.get("/admin/login/").status_code == 200
