"""End to end over a real SMTP server on loopback: an order completes; after the survey's
delay the daily step invites the customer; the email carries the 0–10 scale; its link
shows the form with the score chosen and stores nothing; the POST stores the answer once;
the survey's NPS figures count it on the staff page; the detractor's answer opens a
follow-up task in the Support inbox and the promoter gets the survey's follow-up email."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from campaigns.models import Message, MessageLink
from clvcrm.pipeline import tasks as pipeline
from customers.models import Customer, CustomerTask, Order
from feedback.models import Response
from feedback.selectors import survey_nps
from tests.campaigns.builders import customers_made
from tests.feedback.builders import survey_made

SITE = "https://crm.example.com"
ORDERED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LINK = re.compile(r"https://crm\.example\.com/s/([A-Za-z0-9_-]{43})/\?score=(\d+)")


def _part(email, subtype: str) -> str:
    part = email.get_body(preferencelist=(subtype,))
    assert part is not None
    return part.get_content()


@pytest.mark.django_db
def test_an_order_leads_to_one_invitation_whose_link_answers_once(
    smtp, settings, django_capture_on_commit_callbacks, make_staff
):
    settings.SITE_URL = SITE
    english, russian = customers_made(2)
    Customer.objects.filter(pk=russian.pk).update(language="ru")
    with time_machine.travel(ORDERED - timedelta(days=30), tick=False):
        survey = survey_made(
            "Post-purchase",
            trigger="after_order",
            after_order_days=7,
            promoter_follow_up={
                "subject": "Thank you, {{ customer.first_name }}!",
                "body_text": "Would you review us? https://shop.example/review",
            },
        )
    for customer in (english, russian):
        Order.objects.create(
            external_id=f"O-{customer.pk}",
            customer=customer,
            placed_at=ORDERED,
            total=Decimal("30.00"),
            currency="USD",
        )

    with time_machine.travel(ORDERED + timedelta(days=6), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            pipeline.surveys_invite.delay()
        assert smtp.received == []  # not yet
    with time_machine.travel(ORDERED + timedelta(days=7, hours=12), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            pipeline.surveys_invite.delay()  # the step, then the senders
        with django_capture_on_commit_callbacks(execute=True):
            pipeline.surveys_invite.delay()  # a second delivery: nothing more

    assert sorted(str(email["To"]) for email in smtp.received) == [english.email, russian.email]
    by_address = {str(email["To"]): email for email in smtp.received}
    mail, russian_mail = by_address[english.email], by_address[russian.email]
    assert mail["Subject"] == "A quick question from clvcrm demo shop"
    # An encoded header comes back folded after "Subject:": hence the strip.
    assert str(russian_mail["Subject"]).strip() == "Короткий вопрос от clvcrm demo shop"
    assert "порекомендуете" in _part(russian_mail, "plain")
    html, text = _part(mail, "html"), _part(mail, "plain")
    assert "How likely are you to recommend clvcrm demo shop to a friend?" in html
    html_links = LINK.findall(html)
    assert [int(score) for _, score in html_links] == list(range(11))
    assert LINK.findall(text) == html_links
    (token,) = {token for token, _ in html_links}
    assert "List-Unsubscribe" in mail
    assert f"{SITE}/m/o/" in html  # the open is tracked; the survey links are not
    assert not MessageLink.objects.filter(url__contains="/s/").exists()
    assert not MessageLink.objects.filter(url__contains=token).exists()
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}

    browser = Client()
    with time_machine.travel(ORDERED + timedelta(days=8), tick=False):
        shown = browser.get(f"/s/{token}/?score=9")
        assert re.findall(r'value="(\d+)" checked', shown.content.decode()) == ["9"]
        assert Response.objects.count() == 0
        with django_capture_on_commit_callbacks(execute=True):  # the follow-up email
            answered = browser.post(f"/s/{token}/", {"score": "9", "comment": "Lovely tea"})
    with time_machine.travel(ORDERED + timedelta(days=8, hours=1), tick=False):
        again = browser.post(f"/s/{token}/", {"score": "2"})

    assert answered.status_code == again.status_code == 200
    assert "You have already answered" in again.content.decode()
    response = Response.objects.get()
    assert (response.customer_id, response.score, response.comment) == (
        english.pk,
        9,
        "Lovely tea",
    )
    # The Russian customer answers from their own email: a detractor.
    russian_token = LINK.findall(_part(russian_mail, "plain"))[0][0]
    with time_machine.travel(ORDERED + timedelta(days=9), tick=False):
        unhappy = Client().post(f"/s/{russian_token}/", {"score": "3", "comment": "Late"})
    assert unhappy.status_code == 200

    figures = survey_nps(survey_id=survey.pk)
    assert (figures.responses, figures.promoters, figures.detractors) == (2, 1, 1)
    assert (figures.nps, figures.response_rate) == (0.0, 1.0)
    staff = Client()
    staff.force_login(make_staff("Support"))
    page = staff.get(f"/surveys/{survey.pk}/").content.decode()
    assert '<p class="figure" id="nps">+0.0</p>' in page
    # The detractor's follow-up task, due in a week (no prediction), in the Support inbox.
    task = CustomerTask.objects.get()
    assert (task.customer_id, task.source, task.status) == (russian.pk, "nps_detractor", "open")
    assert task.due_on == date(2026, 3, 18)
    assert f"/customers/{russian.pk}/" in staff.get("/customers/tasks/").content.decode()
    # The promoter's follow-up email went out after their answer, once; the detractor's not.
    follow_ups = [e for e in smtp.received if str(e["Subject"]).startswith("Thank you")]
    assert [str(e["To"]) for e in follow_ups] == [english.email]
    assert str(follow_ups[0]["Subject"]) == f"Thank you, {english.first_name}!"
