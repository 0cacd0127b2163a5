"""Segment pages: overview, members (keyset, sorts), CSV export, custom form, customer card."""

import csv
import io
import re

import pytest
from django.test import Client

from customers.models import Customer, CustomerScore, Segment, SegmentTransition
from customers.services.segments import segments_reassign
from tests.customers.test_segments import _run, _score
from tests.responses import streamed_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def segmented() -> list[Customer]:
    """60 customers: 3 churned, the rest ranked by predicted CLV, one with a formula name."""
    customers = Customer.objects.bulk_create(
        Customer(external_id=f"C{i:03}", first_name=f"First{i:03}", email=f"p{i}@example.com")
        for i in range(60)
    )
    Customer.objects.filter(external_id="C010").update(first_name="=HYPERLINK(1)")
    run = _run()
    for i, customer in enumerate(customers):
        _score(customer, run, p_alive=0.1 if i < 3 else 0.9, predicted=f"{i}.50", historical="1")
    segments_reassign(run_id=run.pk)
    return customers


def _segment(code: str) -> Segment:
    return Segment.objects.get(code=code)


def _rows(response) -> list[str]:
    return re.findall(r'href="/customers/\d+/">([^<]+)</a>', response.content.decode())


def test_overview_shows_sizes_values_trend_and_flows(
    segmented, analyst_client, django_assert_num_queries
):
    # session, user, permissions (2); the latest reassignment, the trend (runs, figures),
    # the overview (figures, segments), the segments naming the flows
    with django_assert_num_queries(10):
        response = analyst_client.get("/customers/segments/")

    page = re.sub(r"\s+", " ", response.content.decode())
    assert response.status_code == 200
    # High value: the top 20% of the 57 left = 12 customers (predicted 48.50 ... 59.50).
    assert re.search(r"High value</a>.*?<td class=\"num\">12</td>", page)
    assert "648.00 USD" in page  # their total predicted CLV: 12 × 54.00
    assert "54.00 USD" in page
    assert 'id="flows"' in page
    assert "(first segment)" in page
    assert "plotly" in page
    assert "Customers per segment, by run" in page


def test_members_page_sorts_and_pages_by_keyset(
    segmented, analyst_client, django_assert_num_queries
):
    low = _segment("low_value")  # C003 ... C047: 45 customers
    # session, user, permissions (2), the segment, the page, its capped count, the latest
    # reassignment, the segment's figures
    with django_assert_num_queries(9):
        first = analyst_client.get(f"/customers/segments/{low.pk}/", {"sort": "-predicted_clv"})
    names = _rows(first)
    assert names[:2] == ["First047", "First046"]
    assert len(names) == 45

    ascending = analyst_client.get(f"/customers/segments/{low.pk}/", {"sort": "predicted_clv"})
    assert _rows(ascending)[0] == "First003"

    first_score = CustomerScore.objects.select_related("run").first()
    assert first_score is not None
    signed_up = first_score.run.as_of  # customers of the run's day, with no purchase yet
    Customer.objects.bulk_create(
        Customer(external_id=f"X{i:03}", acquired_on=signed_up) for i in range(10)
    )
    segments_reassign(run_id=first_score.run_id)
    paged = analyst_client.get(f"/customers/segments/{low.pk}/", {"sort": "id"})
    next_url = _found(r'href="\?([^"]*after=[^"]+)"', paged.content.decode())
    second = analyst_client.get(f"/customers/segments/{low.pk}/?" + next_url.replace("&amp;", "&"))
    assert len(_rows(paged)) == 50
    assert len(_rows(second)) == 5
    assert not set(_rows(paged)) & set(_rows(second))


def test_member_export_streams_safe_cells(segmented, analyst_client, make_staff):
    response = analyst_client.get(f"/customers/segments/{_segment('low_value').pk}/members.csv")

    assert response.streaming
    rows = list(csv.DictReader(io.StringIO(streamed_text(response))))
    assert len(rows) == 45
    assert rows[0]["external_id"] == "C003"
    assert rows[0]["predicted_clv"] == "3.50"
    assert rows[0]["p_alive"] == "0.9"
    formula = next(r for r in rows if r["external_id"] == "C010")
    assert formula["first_name"] == "'=HYPERLINK(1)"

    support = Client()
    support.force_login(make_staff("Support", "support"))
    assert support.get(f"/customers/segments/{_segment('new').pk}/members.csv").status_code == 403


def test_score_export_names_the_segment(segmented, analyst_client):
    response = analyst_client.get("/customers/model/scores.csv")

    rows = list(csv.DictReader(io.StringIO(streamed_text(response))))
    segments = {row["external_id"]: row["segment"] for row in rows}
    assert (segments["C000"], segments["C010"], segments["C059"]) == (
        "churned",
        "low_value",
        "high_value",
    )


def test_customer_page_says_which_segment_and_why(
    segmented, admin_client, django_assert_num_queries
):
    churned = Customer.objects.get(external_id="C001")

    # The page's own 7 (no orders, so no lines to prefetch), two for the segment card
    # (custom segments, thresholds), five for the loyalty card and three for the notes and
    # tasks cards (notes, open tasks, the task form's assignees), two for the consent and
    # segment histories and three for the panels of campaigns (messages, holdouts) and
    # feedback (NPS answers).
    with django_assert_num_queries(7 + 2 + 5 + 3 + 2 + 3):
        page = admin_client.get(f"/customers/{churned.pk}/").content.decode()

    assert 'id="customer-segment"' in page
    assert "Churned" in page
    assert "P(alive) 10% is below 15% (a churned customer leaves at 16.5% or more)." in page


def test_custom_segment_form_saves_and_evaluates(segmented, make_staff, client):
    client.force_login(make_staff("Marketing"))
    form = {
        "name": "Top spenders",
        "code": "",
        "description": "",
        "rules-TOTAL_FORMS": "3",
        "rules-INITIAL_FORMS": "0",
        "rules-0-field": "predicted_clv",
        "rules-0-op": "gte",
        "rules-0-value": "55",
        "rules-1-field": "p_alive",
        "rules-1-op": "gt",
        "rules-1-value": "0.5",
        "rules-2-field": "",
        "rules-2-op": "eq",
        "rules-2-value": "",
    }
    response = client.post("/customers/segments/new/", form)

    segment = Segment.objects.get(code="top-spenders")
    assert response.status_code == 302
    assert response["Location"] == f"/customers/segments/{segment.pk}/"
    assert segment.rules == [
        {"field": "predicted_clv", "op": "gte", "value": "55"},
        {"field": "p_alive", "op": "gt", "value": "0.5"},
    ]
    members = client.get(response["Location"])
    assert _rows(members) == [f"First{i:03}" for i in range(59, 54, -1)]

    form["rules-0-value"] = "a lot"
    again = client.post(f"/customers/segments/{segment.pk}/edit/", form)
    assert again.status_code == 200
    assert again.context["rules"].non_form_errors() == [
        "rule 1: Predicted CLV needs a number from -999999999999.99 to 999999999999.99 with at "
        "most 2 decimal places, not 'a lot': not a number (use a dot as decimal separator, no "
        "currency sign)"
    ]
    assert Segment.objects.get(pk=segment.pk).rules[0]["value"] == "55"


def test_default_segments_are_not_edited_by_the_form(segmented, admin_client):
    assert admin_client.get(f"/customers/segments/{_segment('new').pk}/edit/").status_code == 404


def test_roles_on_segment_pages(segmented, make_staff, client):
    client.force_login(make_staff("Analyst"))
    assert client.get("/customers/segments/").status_code == 200
    assert client.get("/customers/segments/new/").status_code == 403
    client.force_login(make_staff("Marketing", "marketing"))
    assert client.get("/customers/segments/new/").status_code == 200


def test_admin_lists_segment_tables(segmented, admin_client):
    for model in ("segmentthresholds", "segment", "customersegment", "segmenttransition"):
        assert admin_client.get(f"/admin/customers/{model}/").status_code == 200, model
    transition = SegmentTransition.objects.first()
    assert transition is not None
    # The outbox is read-only in the admin.
    url = f"/admin/customers/segmenttransition/{transition.pk}/"
    assert admin_client.get(f"{url}change/").status_code == 200
    assert admin_client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert SegmentTransition.objects.filter(pk=transition.pk).exists()


def _found(pattern: str, text: str) -> str:
    """The first group of ``pattern``'s first match in ``text``; fails the test if none."""
    match = re.search(pattern, text)
    assert match is not None, pattern
    return match.group(1)


# ---------------------------------------------------------------- query counts


def _segmented_shop(size: int) -> Segment:
    """``size`` scored customers in their segments, and one custom segment of all of them."""
    customers = Customer.objects.bulk_create(
        Customer(external_id=f"C{i:03}", first_name=f"First{i:03}") for i in range(size)
    )
    custom = Segment.objects.create(
        code="everyone",
        name="Everyone",
        kind=Segment.Kind.CUSTOM,
        rules=[{"field": "p_alive", "op": "gte", "value": "0"}],
    )
    run = _run()
    for i, customer in enumerate(customers):
        _score(customer, run, predicted=f"{i}.50", historical="1")
    segments_reassign(run_id=run.pk)
    return custom


@pytest.mark.parametrize("size", [3, 30])
def test_segment_pages_cost_the_same_queries_at_any_size(
    make_staff, client, django_assert_num_queries, size
):
    custom = _segmented_shop(size)
    client.force_login(make_staff("Admin"))

    # Session, user, permissions (2); the latest reassignment, the trend (runs, figures),
    # the overview (figures, segments), the segments naming the flows.
    with django_assert_num_queries(10):
        overview = client.get("/customers/segments/")
    # Session, user, permissions (2), the segment, the page, its capped count, the latest
    # reassignment, the segment's figures.
    with django_assert_num_queries(9):
        members = client.get(f"/customers/segments/{custom.pk}/")
    # Session, user, permissions (2), the segment, its members (read while streaming).
    with django_assert_num_queries(6):
        export = client.get(f"/customers/segments/{custom.pk}/members.csv")
        rows = streamed_text(export).splitlines()
    # Session, user, permissions (2): the empty form needs nothing else.
    with django_assert_num_queries(4):
        new = client.get("/customers/segments/new/")
    # Session, user, permissions (2), the segment.
    with django_assert_num_queries(5):
        edit = client.get(f"/customers/segments/{custom.pk}/edit/")

    form = {
        "name": "Alive",
        "code": "",
        "description": "",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-0-field": "p_alive",
        "rules-0-op": "gte",
        "rules-0-value": "0.5",
    }
    # Session, user, permissions (2), the code checked free (form, then service), the
    # segment saved, the latest reassignment, its members replaced in a savepoint (4), its
    # figures replaced (2), its audit entry, all in one savepoint (2).
    with django_assert_num_queries(17):
        saved = client.post("/customers/segments/new/", form)

    assert saved.status_code == 302
    assert "Everyone" in overview.content.decode()
    assert len(_rows(members)) == size
    assert len(rows) == 1 + size
    assert (new.status_code, edit.status_code) == (200, 200)
