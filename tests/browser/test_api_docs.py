"""The API's documentation page renders in a real browser under the Content-Security-Policy.

Swagger UI's files come from this site (drf-spectacular-sidecar): the page loads nothing
from elsewhere, and the browser reports no violation, no script error, no failed request.
"""

import pytest

from tests.api_contract import API_PATHS
from tests.browser.test_content_security_policy import (
    PASSWORD,
    RECORD_VIOLATIONS,
    _console_error,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_under_the_policy(live_server, page, screenshot, make_staff) -> None:
    make_staff("Analyst", "ana")
    base = live_server.url
    problems: list[str] = []
    elsewhere: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda message: _console_error(message, problems))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on("request", lambda r: None if r.url.startswith(base) else elsewhere.append(r.url))

    page.goto(f"{base}/login/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    response = page.goto(f"{base}/api/docs/")
    assert response is not None
    assert response.status == 200
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    page.wait_for_load_state("networkidle")

    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert {p.replace("\u200b", "") for p in paths} == API_PATHS
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("clvcrm API")
    screenshot("api-docs")
    # "Try it out" calls the API from the page (same origin, the session's cookie).
    page.locator(".opblock-summary-path").first.click()
    page.click("button.try-out__btn")
    page.click("button.execute")
    status = page.locator(".live-responses-table .response .response-col_status").first
    status.wait_for(timeout=20_000)
    assert status.inner_text().strip() == "200"
    assert page.evaluate("window.cspViolations") == []
    assert problems == []
    assert elsewhere == []
