"""The Content-Security-Policy header, and the pieces that let charts and admin run under it.

tests/browser/test_content_security_policy.py shows the pages work under it in Chromium.
"""

import plotly.graph_objects as go
import pytest
from django.contrib.auth.models import User
from django.template import Context, Template
from django.test import RequestFactory
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from clvcrm.core.static_finders import PLOTLY_DIR, plotly_style_sheet_ids
from clvcrm.core.templatetags.csp_nonce import with_csp_nonce
from customers.charts import figure_html

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # The two style texts plotly.js sets on a heatmap, by their hashes (settings/base.py).
    "style-src-attr": "'unsafe-hashes' 'sha256-AR/cKIZjWPcPmBUPDA6oti9XBiTbJvz0Cro2J1VzzS8=' "
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _policy(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_pages_send_the_policy_without_a_nonce_they_do_not_use(client) -> None:
    response = client.get("/login/")
    assert _policy(response["Content-Security-Policy"]) == POLICY


def test_a_page_using_the_nonce_allows_exactly_it(client) -> None:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123456"))
    task = PeriodicTask.objects.create(
        name="nightly",
        task="clvcrm.pipeline.tasks.clv_recalculate",
        crontab=CrontabSchedule.objects.create(),
    )
    response = client.get(f"/admin/django_celery_beat/periodictask/{task.pk}/change/")
    nonce = response.wsgi_request.csp_nonce
    policy = _policy(response["Content-Security-Policy"])
    assert policy["script-src"] == f"'self' 'nonce-{nonce}'"
    # django-celery-beat's inline crontab helper carries it.
    assert f'<script nonce="{nonce}" id="periodic-task-overrides">' in response.content.decode()


def test_with_csp_nonce_marks_inline_scripts_only() -> None:
    html = (
        '<script id="a">run()</script><script src="/static/x.js"></script>'
        '<script type="application/json">{}</script><scripted>'
    )
    assert with_csp_nonce(html, "N0nce==") == (
        '<script nonce="N0nce==" id="a">run()</script><script src="/static/x.js"></script>'
        '<script nonce="N0nce==" type="application/json">{}</script><scripted>'
    )


def test_chart_pages_make_plotlys_style_sheets_with_the_nonce() -> None:
    request = RequestFactory().get("/")
    request.csp_nonce = "N0nce=="  # type: ignore[attr-defined]  # what django-csp's middleware sets
    html = Template('{% include "partials/chart_scripts.html" %}').render(
        Context({"request": request})
    )
    ids = plotly_style_sheet_ids()
    assert ids[0] == "plotly.js-style-global"
    bundle = (PLOTLY_DIR / "plotly.min.js").read_text()
    assert all(f'getElementById("{name}")' in bundle for name in ids[1:])
    for name in ids:
        assert f'<style id="{name}" nonce="N0nce=="></style>' in html
    assert html.count("<script src=") == 2


def test_a_chart_is_a_div_and_json_that_never_runs() -> None:
    figure = go.Figure(go.Bar(x=[1], y=[2], name="</script><script>alert(1)</script>"))
    html = figure_html(figure)
    element_id = html.split('data-figure="', 1)[1].split('"', 1)[0]
    assert html.startswith(f'<div class="plotly-graph-div" data-figure="{element_id}"></div>')
    assert f'<script id="{element_id}" type="application/json">' in html
    assert "<script>" not in html
    assert "\\u003C/script\\u003E\\u003Cscript\\u003Ealert(1)" in html
