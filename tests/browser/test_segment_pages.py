"""A broken custom segment, as staff see it and mend it, in a real browser."""

import pytest

from customers.models import Segment, SegmentReassignment
from customers.services.segments import segments_reassign
from tests.customers.test_segments_bad_input import OVERFLOW, OVERFLOW_REFUSED
from tests.customers.test_segments_outbox import _segmented

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_broken_segment_is_shown_with_its_reason_and_mended_by_saving(
    live_server, page, screenshot, make_staff
):
    _segmented(6)  # predicted CLV 0, 10, ..., 50
    bad = Segment.objects.create(code="bad", name="Big spenders", kind=Segment.Kind.CUSTOM)
    Segment.objects.filter(pk=bad.pk).update(rules=OVERFLOW)  # edited in the database
    segments_reassign(run_id=SegmentReassignment.objects.get().run_id)
    make_staff("Marketing", "mia")

    page.goto(f"{live_server.url}/customers/segments/")
    page.fill("#id_username", "mia")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    row = page.locator("#segments tr", has_text="Big spenders")
    assert row.locator(".pill.status-failed").inner_text() == "broken"
    assert OVERFLOW_REFUSED in row.locator(".broken-reason").inner_text()
    page.wait_for_selector(".plotly-graph-div .main-svg")  # the trend charts are drawn
    screenshot("segment-list-broken")

    row.locator("a", has_text="Big spenders").click()
    assert OVERFLOW_REFUSED in page.inner_text("#segment-broken")
    assert page.inner_text("#members tbody") == "No customers in this segment."
    screenshot("segment-broken")

    page.click("#segment-broken a:has-text('edit the rules')")
    page.fill("#id_rules-0-value", "30")
    page.click("button:has-text('Save')")
    page.wait_for_selector(".messages")
    assert page.inner_text(".messages") == "Saved the segment Big spenders."
    assert page.locator("#segment-broken").count() == 0
    assert page.locator("#members tbody tr").count() == 3
