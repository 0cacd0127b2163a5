"""Under the Content-Security-Policy every page works: no violation, no script error.

The browser reports each blocked script, style or request as a ``securitypolicyviolation``
event (and a console error); the pages are visited as staff and as a superuser, the charts
must be drawn (plotly's SVG), and nothing may be reported on any of them.
"""

import pytest
from django.contrib.auth.models import User
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from customers.models import Customer, OrderImport, Segment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"
# Every violation the page reports, kept on the page for the test to read.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber} ${event.sample}`
  );
});
"""


@pytest.fixture
def shop(scored_shop, make_staff) -> Customer:
    """The scored demo shop, its Admin ``alice`` and superuser ``root``; a customer on the
    way to a higher loyalty tier."""
    make_staff("Admin", "alice")
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    customer = Customer.objects.filter(loyalty__tier__name="Bronze").order_by("pk").first()
    assert customer is not None
    return customer


@pytest.fixture
def watched(page):
    """The page, recording CSP violations, console errors and uncaught exceptions."""
    problems: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda message: _console_error(message, problems))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems
    return page


def _console_error(message, problems: list[str]) -> None:
    # A browser asks every site for /favicon.ico; its 404 is no fault of a page.
    if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
        problems.append(f"{message.text} ({message.location['url']})")


def _visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy, url
    assert "'unsafe-inline'" not in policy, url
    assert "'unsafe-eval'" not in policy, url
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.cspViolations")
    assert violations == [], f"{url}: {violations}"
    assert page.problems == [], f"{url}: {page.problems}"


def _log_in(page, base: str, username: str) -> None:
    _visit(page, f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_staff_pages_and_charts_work_under_the_policy(live_server, watched, screenshot, shop):
    base = live_server.url
    _log_in(watched, base, "alice")
    _visit(watched, f"{base}/customers/model/")
    watched.wait_for_selector("#backtest-chart .js-plotly-plot .main-svg")
    assert watched.locator("#clv-histogram svg.main-svg .bars path").count() > 5
    assert watched.locator("#backtest-chart svg.main-svg .scatterlayer .trace").count() == 2
    screenshot("csp-model-page")

    _visit(watched, f"{base}/customers/segments/")
    watched.wait_for_selector(".chart-pair .js-plotly-plot .main-svg")
    assert watched.locator(".chart-pair svg.main-svg .scatterlayer .trace").count() == 10
    screenshot("csp-segments-page")
    order_import = OrderImport.objects.create(file_name="orders.csv", rows_total=3)
    segment = Segment.objects.get(code="high_value")
    for path in (
        "/customers/",
        f"/customers/{shop.pk}/",
        "/customers/imports/",
        f"/customers/imports/{order_import.pk}/",
        "/customers/segments/new/",
        f"/customers/segments/{segment.pk}/",
    ):
        _visit(watched, base + path)
    watched.goto(f"{base}/customers/{shop.pk}/")
    assert watched.locator("#loyalty progress.progress").count() >= 1
    screenshot("csp-customer-page")
    assert watched.evaluate("window.cspViolations") == []
    assert watched.problems == []

    # The lockout page too: five failed logins from this address.
    watched.context.clear_cookies()
    for _ in range(5):
        _visit(watched, f"{base}/login/")
        watched.fill("#id_username", "nobody")
        watched.fill("#id_password", "wrong")
        watched.click("button[type=submit]")
        watched.wait_for_load_state("networkidle")
    assert "Too many failed logins" in watched.inner_text("#locked-out")
    screenshot("csp-locked-out")
    assert watched.evaluate("window.cspViolations") == []


def test_the_admin_works_under_the_policy(live_server, watched, screenshot, shop):
    base = live_server.url
    _visit(watched, f"{base}/admin/login/")
    watched.fill("#id_username", "root")
    watched.fill("#id_password", PASSWORD)
    watched.click("input[type=submit]")
    watched.wait_for_load_state("networkidle")
    alice = User.objects.get(username="alice")
    schedule = PeriodicTask.objects.create(
        name="Nightly CLV recalculation",
        task="clvcrm.pipeline.tasks.clv_recalculate",
        crontab=CrontabSchedule.objects.create(minute="30", hour="2"),
    )
    for path in (
        "/admin/",
        "/admin/customers/customer/",
        f"/admin/customers/customer/{shop.pk}/change/",
        "/admin/customers/order/",
        f"/admin/auth/user/{alice.pk}/change/",
        "/admin/django_celery_beat/periodictask/",
        f"/admin/django_celery_beat/periodictask/{schedule.pk}/change/",
        "/admin/axes/accessattempt/",
    ):
        _visit(watched, base + path)
    # The widgets' scripts ran: the date shortcuts and the two-list group chooser.
    watched.goto(f"{base}/admin/auth/user/{alice.pk}/change/")
    assert watched.locator(".datetimeshortcuts").count() >= 1
    assert watched.locator("#id_groups_from").count() == 1
    screenshot("csp-admin-user")
    assert watched.evaluate("window.cspViolations") == []
    assert watched.problems == []
