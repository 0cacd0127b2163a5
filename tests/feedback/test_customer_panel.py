"""The customer page's NPS answers panel: the customer's answers newest first, the comment
escaped, the segment and tier when they answered, and their latest category."""

from datetime import UTC, datetime

import pytest

from customers.models import Segment
from feedback.models import Response
from feedback.selectors import customer_responses
from tests.campaigns.builders import customers_made, segment
from tests.feedback.builders import invited, response_made, survey_made

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered():
    """A customer who answered two surveys (a detractor last) and someone else's answer."""
    customer, other = customers_made(2)
    segment("at_risk")  # the default segments exist, so the snapshot's code has a name
    first, second = survey_made("After purchase"), survey_made("Quarterly", throttle_days=0)
    ((one, _),) = invited(first, [customer])
    ((two, _),) = invited(second, [customer])
    ((theirs, _),) = invited(first, [other])
    early = response_made(one, 9)
    late = response_made(two, 3)
    response_made(theirs, 10)
    Response.objects.filter(pk=early.pk).update(
        answered_at=datetime(2025, 2, 1, 9, 30, tzinfo=UTC),
        comment="Great",
        segment_code="high_value",
        tier_name="Gold",
    )
    Response.objects.filter(pk=late.pk).update(
        answered_at=datetime(2025, 5, 2, 16, 0, tzinfo=UTC),
        comment="<script>alert('x')</script> & slow",
        segment_code="at_risk",
    )
    customer.nps_category = "detractor"
    customer.save(update_fields=["nps_category"])
    return customer


def test_answers_newest_first_with_the_segment_they_were_in(answered, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = [
            (r.survey.name, r.score, r.category.value, r.segment_name, r.tier_name)  # type: ignore[attr-defined]  # annotated by the query
            for r in customer_responses(answered.pk)
        ]

    assert rows == [
        ("Quarterly", 3, "detractor", "At risk", ""),
        ("After purchase", 9, "promoter", "High value", "Gold"),
    ]


def test_the_page_shows_the_answers_escaped_and_the_latest_category(answered, make_staff, client):
    client.force_login(make_staff("Support"))

    page = client.get(f"/customers/{answered.pk}/").content.decode()

    panel = page.split('id="nps-answers"', 1)[1].split("</section>", 1)[0]
    assert 'Latest category: <span class="pill nps-detractor">Detractor</span>' in panel
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; slow" in panel
    assert "<script>" not in panel
    assert panel.count("<tr>") == 3  # the head and two answers
    assert panel.index("Quarterly") < panel.index("After purchase")
    assert "At risk · no tier" in panel
    assert "High value · Gold" in panel


def test_a_removed_segment_shows_its_code(answered):
    Response.objects.filter(customer=answered, segment_code="high_value").update(
        segment_code="vip_gone"
    )
    assert not Segment.objects.filter(code="vip_gone").exists()

    rows = [
        (r.segment_code, r.segment_name)  # type: ignore[attr-defined]  # annotated by the query
        for r in customer_responses(answered.pk)
    ]

    assert rows == [("at_risk", "At risk"), ("vip_gone", None)]


def test_a_customer_without_answers(make_staff, client):
    (customer,) = customers_made(1)
    client.force_login(make_staff("Analyst"))

    page = client.get(f"/customers/{customer.pk}/").content.decode()

    assert "No NPS answers yet." in page
    assert 'id="nps-latest"' not in page
