"""The staff pages of surveys: roles, create and edit (with the follow-up email), invite
now, the analytics pages with their filters, and query counts."""

import pytest
from django.test import Client

from campaigns.models import Campaign
from customers.models import Customer
from feedback.models import Invitation, Survey
from tests.campaigns.builders import customers_made
from tests.feedback.builders import invited, response_made, survey_made

pytestmark = pytest.mark.django_db

NEW_SURVEY = {
    "name": "Checkout NPS",
    "question_en": "Would you recommend {shop}?",
    "trigger": "after_order",
    "after_order_days": "7",
    "throttle_days": "30",
}
FOLLOW_UP = {
    "follow_up": "on",
    "follow_up_subject": "Thanks, {{ customer.first_name }}",
    "follow_up_body_text": "Would you review us?",
}


def _client(make_staff, role: str) -> Client:
    client = Client()
    client.force_login(make_staff(role))
    return client


@pytest.fixture
def marketing(make_staff) -> Client:
    return _client(make_staff, "Marketing")


def test_marketing_creates_a_survey_with_a_follow_up_email(marketing: Client):
    answer = marketing.post("/surveys/new/", {**NEW_SURVEY, **FOLLOW_UP})

    survey = Survey.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/surveys/{survey.pk}/"
    assert (survey.trigger, survey.after_order_days, survey.throttle_days) == (
        "after_order",
        7,
        30,
    )
    assert set(Campaign.objects.values_list("name", "kind")) == {
        ("Survey: Checkout NPS", "feedback"),
        ("Promoter follow-up: Checkout NPS", "marketing"),
    }
    page = marketing.get(f"/surveys/{survey.pk}/")
    assert b"Thanks, {{ customer.first_name }}" in page.content
    assert b'id="edit-link"' in page.content


def test_a_bad_survey_shows_each_error_on_its_field_and_writes_nothing(marketing: Client):
    answer = marketing.post(
        "/surveys/new/",
        {
            **NEW_SURVEY,
            "after_order_days": "",
            **FOLLOW_UP,
            "follow_up_body_text": "{% for %}",
        },
    )

    assert answer.status_code == 200
    form = answer.context["form"]
    assert form.errors["after_order_days"] == [
        "An after-order survey needs the days after the order."
    ]
    assert (Survey.objects.count(), Campaign.objects.count()) == (0, 0)
    template_error = marketing.post(
        "/surveys/new/", {**NEW_SURVEY, **FOLLOW_UP, "follow_up_body_text": "{% for %}"}
    )
    errors = template_error.context["form"].errors["follow_up_body_text"]
    assert len(errors) == 1
    assert errors[0].startswith("body_text: ")
    assert (Survey.objects.count(), Campaign.objects.count()) == (0, 0)


def test_edit_turns_the_follow_up_on_and_off(marketing: Client):
    survey = survey_made()
    form = {**NEW_SURVEY, "name": survey.name, "trigger": "manual", "after_order_days": ""}

    on = marketing.post(f"/surveys/{survey.pk}/edit/", {**form, **FOLLOW_UP})
    survey.refresh_from_db()
    campaign_id = survey.follow_up_campaign_id
    shown = marketing.get(f"/surveys/{survey.pk}/edit/").context["form"]
    off = marketing.post(f"/surveys/{survey.pk}/edit/", form)
    survey.refresh_from_db()

    assert on.status_code == off.status_code == 302
    assert campaign_id is not None
    assert survey.follow_up_campaign_id is None
    assert shown.initial["follow_up"] is True
    assert shown.initial["follow_up_subject"] == "Thanks, {{ customer.first_name }}"
    assert Campaign.objects.get(pk=campaign_id).status == "finished"


@pytest.mark.parametrize("role", ["Analyst", "Support"])
def test_analysts_and_support_see_surveys_but_change_nothing(make_staff, role):
    survey = survey_made()
    client = _client(make_staff, role)

    listed = client.get("/surveys/")
    detail = client.get(f"/surveys/{survey.pk}/")
    overview = client.get("/surveys/nps/")

    assert listed.status_code == detail.status_code == overview.status_code == 200
    assert b"New survey" not in listed.content
    assert b'id="edit-link"' not in detail.content
    assert b'id="invite-link"' not in detail.content
    assert b">Surveys</a>" in listed.content  # the navigation's link
    for url in ("/surveys/new/", f"/surveys/{survey.pk}/edit/", f"/surveys/{survey.pk}/invite/"):
        assert client.get(url).status_code == 403
        assert client.post(url, {**NEW_SURVEY, "customers": "x"}).status_code == 403
    assert Survey.objects.count() == 1
    assert Invitation.objects.count() == 0


def test_the_pages_need_a_login_and_a_role(client, make_staff):
    assert client.get("/surveys/")["Location"].startswith("/login/")
    customer_only = Client()
    customer_only.force_login(
        type(make_staff("Admin")).objects.create_user("nobody", is_staff=True)
    )
    assert customer_only.get("/surveys/").status_code == 403


def test_invite_now_a_pasted_list_by_id_or_email_shows_the_skipped_by_reason(marketing: Client):
    survey = survey_made()
    first, second, without_email = customers_made(3, prefix="L")
    Customer.objects.filter(pk=without_email.pk).update(email="")

    answer = marketing.post(
        f"/surveys/{survey.pk}/invite/",
        {
            "customers": f"{first.external_id}\n{second.email.upper()}, "
            f"{without_email.external_id}, nobody"
        },
    )

    assert answer.status_code == 200
    outcome = answer.context["outcome"]
    assert outcome["invited"] == 2
    assert dict(outcome["skipped"]) == {
        "No such customer": 1,
        "No email address": 1,
        "Unsubscribed": 0,
        "Address suppressed (bounce or complaint)": 0,
        "Invited to a survey recently": 0,
        "Personal data erased": 0,
    }
    assert set(Invitation.objects.values_list("customer_id", flat=True)) == {first.pk, second.pk}


def test_invite_now_needs_a_segment_or_a_list_not_both(marketing: Client):
    survey = survey_made()

    neither = marketing.post(f"/surveys/{survey.pk}/invite/", {"customers": " \n, "})

    assert neither.status_code == 200
    assert neither.context["form"].non_field_errors() == [
        "Choose either a segment or a list of customers."
    ]
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-13-01", "start"),
        ("start=9999-12-31", "start"),
        ("end=yesterday", "end"),
        ("start=2026-03-01&end=2026-02-01", "end"),
        ("band=huge", "band"),
        ("category=angry", "category"),
        ("segment=not+a+code", "segment"),
        ("before=2026-01-01~x", "before"),
        ("before=not-a-cursor", "before"),
        ("q=" + "x" * 101, "q"),
    ],
)
def test_bad_filter_values_are_form_errors_not_failures(marketing: Client, query, field):
    survey = survey_made()

    for url in (f"/surveys/{survey.pk}/?{query}", f"/surveys/nps/?{query}"):
        answer = marketing.get(url)
        assert answer.status_code == 200
        assert field in answer.context["form"].errors
        assert b'id="filter-errors"' in answer.content


def test_comments_are_shown_escaped_and_searchable(marketing: Client):
    survey = survey_made()
    customers = customers_made(2, prefix="E")
    (a, _), (b, _) = invited(survey, customers)
    first = response_made(a, 2)
    first.comment = "<script>alert(1)</script> slow"
    first.save()
    second = response_made(b, 10)
    second.comment = "Fast shipping"
    second.save()

    page = marketing.get(f"/surveys/{survey.pk}/?q=slow")

    assert b"&lt;script&gt;alert(1)&lt;/script&gt; slow" in page.content
    assert b"<script>alert(1)" not in page.content
    assert b"Fast shipping" not in page.content


def _page_with_answers() -> Survey:
    survey = survey_made(
        promoter_follow_up={"subject": "Thanks", "body_text": "Review us?", "body_html": ""}
    )
    for (invitation, _), score in zip(
        invited(survey, customers_made(6, prefix="Q")), [10, 9, 7, 3, 0, 10], strict=True
    ):
        response = response_made(invitation, score)
        response.comment = f"comment {score}"
        response.save()
    return survey


def test_query_counts_do_not_grow_with_the_answers(marketing: Client, django_assert_num_queries):
    survey = _page_with_answers()
    survey_made("Another")

    # session, user, its permissions and its groups'; the surveys, their invitations and
    # their responses counted by survey
    with django_assert_num_queries(7):
        assert marketing.get("/surveys/").status_code == 200
    # + the survey, its follow-up's content (2), the ten figures, the comments
    with django_assert_num_queries(18):
        assert marketing.get(f"/surveys/{survey.pk}/?start=2020-01-01").status_code == 200
    with django_assert_num_queries(15):
        assert marketing.get("/surveys/nps/").status_code == 200
