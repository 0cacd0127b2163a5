"""The public answer page: a link shows the form (never answers), a POST answers once, bad
tokens all get the same neutral page, bad scores re-show the form, CSRF, rate limits."""

import re
import secrets
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from feedback.models import Invitation, Response
from tests.feedback.builders import one_invitation

pytestmark = pytest.mark.django_db


def _url(token: str, query: str = "") -> str:
    return f"/s/{token}/{query}"


def _without_nonce(content: bytes) -> bytes:
    """The page without its per-response CSP nonce."""
    return re.sub(rb'nonce="[^"]*"', b"", content)


def _checked(page: str) -> list[str]:
    return re.findall(r'name="score" id="score-\d+" value="(\d+)" checked', page)


def test_a_link_with_a_score_shows_the_form_with_it_chosen_and_stores_nothing(client):
    _, token = one_invitation()

    answer = client.get(_url(token, "?score=7"))

    assert answer.status_code == 200
    page = answer.content.decode()
    assert _checked(page) == ["7"]
    assert "How likely are you to recommend clvcrm demo shop to a friend?" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert answer["Cache-Control"].startswith("max-age=0")
    assert Response.objects.count() == 0


@pytest.mark.parametrize("score", ["11", "-1", "7.5", "x", "", "07", "٣"])
def test_a_link_with_a_bad_score_chooses_nothing(client, score):
    _, token = one_invitation()

    answer = client.get(_url(token, f"?score={score}"))

    assert answer.status_code == 200
    assert _checked(answer.content.decode()) == []


def test_the_answer_is_stored_once_with_the_customer_as_they_are_now(client):
    invitation, token = one_invitation()

    answer = client.post(_url(token), {"score": "9", "comment": "Fast delivery"})

    assert answer.status_code == 200
    assert "Thank you for your answer!" in answer.content.decode()
    response = Response.objects.get()
    assert (response.invitation_id, response.survey_id, response.customer_id) == (
        invitation.pk,
        invitation.survey_id,
        invitation.customer_id,
    )
    assert (response.score, response.comment, response.language) == (9, "Fast delivery", "en")
    assert response.changed_at is None


def test_the_answer_can_be_changed_within_thirty_minutes_then_it_stands(client):
    _, token = one_invitation()
    client.post(_url(token), {"score": "3"})

    changed = client.post(_url(token), {"score": "6", "comment": "Second thoughts"})
    assert "Your answer has been changed." in changed.content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        late = client.post(_url(token), {"score": "10"})
        shown = client.get(_url(token, "?score=10"))

    assert "You have already answered" in late.content.decode()
    assert "You have already answered" in shown.content.decode()
    assert 'name="score"' not in shown.content.decode()
    response = Response.objects.get()
    assert (response.score, response.comment) == (6, "Second thoughts")
    assert response.changed_at is not None


@pytest.mark.parametrize(
    "data",
    [
        {"score": "11"},
        {"score": "-1"},
        {"score": "7.5"},
        {"score": "seven"},
        {"score": ""},
        {},
        {"score": "5", "comment": "x" * 2001},
    ],
)
def test_a_bad_answer_shows_the_form_again_with_the_error_and_stores_nothing(client, data):
    _, token = one_invitation()

    answer = client.post(_url(token), data)

    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'role="alert"' in page
    assert Response.objects.count() == 0


def test_the_comment_is_shown_escaped(client):
    _, token = one_invitation()

    answer = client.post(_url(token), {"score": "2", "comment": "<script>alert(1)</script>"})

    page = answer.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unknown_tampered_and_expired_tokens_get_the_same_neutral_page(client):
    invitation, token = one_invitation()
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())

    answers = [client.get(_url(t)) for t in (secrets.token_urlsafe(32), tampered, token)]
    posts = [client.post(_url(t), {"score": "9"}) for t in (tampered, token)]

    assert {a.status_code for a in answers + posts} == {404}
    assert len({_without_nonce(a.content) for a in answers + posts}) == 1
    assert b"Link not found" in answers[0].content
    assert Response.objects.count() == 0


def test_a_few_hundred_forged_tokens_through_the_page_are_all_refused(client):
    _, token = one_invitation()
    forged = [secrets.token_urlsafe(32) for _ in range(300)] + ["x", "", "%20", token + "A"]

    statuses = {client.get(_url(t)).status_code for t in forged}

    assert statuses == {404}
    assert Response.objects.count() == 0


def test_the_post_needs_the_csrf_token():
    _, token = one_invitation()
    browser = Client(enforce_csrf_checks=True)

    refused = browser.post(_url(token), {"score": "8"})
    page = browser.get(_url(token)).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf is not None
    accepted = browser.post(_url(token), {"score": "8", "csrfmiddlewaretoken": csrf.group(1)})

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert Response.objects.get().score == 8


def test_submissions_are_limited_per_token(client, settings):
    settings.FEEDBACK_ANSWERS_PER_TOKEN_PER_MINUTE = 5
    _, token = one_invitation()

    statuses = [client.post(_url(token), {"score": "5"}).status_code for _ in range(7)]

    assert statuses == [200] * 5 + [429] * 2
    assert Response.objects.count() == 1


def test_submissions_are_limited_per_address_before_the_token_is_read(client, settings):
    settings.FEEDBACK_ANSWERS_PER_IP_PER_MINUTE = 20
    forged = [secrets.token_urlsafe(32) for _ in range(22)]

    statuses = [client.post(_url(t), {"score": "5"}).status_code for t in forged]
    other_address = client.post(_url(forged[0]), {"score": "5"}, REMOTE_ADDR="10.0.0.9")

    assert statuses == [404] * 20 + [429] * 2
    assert other_address.status_code == 404
    too_many = client.post(_url(forged[0]), {"score": "5"})
    assert too_many["Retry-After"] == "60"


BUTTONS = {"en": "Send my answer", "ru": "Отправить ответ", "zh-hans": "提交我的回答"}


@pytest.mark.parametrize(
    ("customer_language", "query", "expected", "text"),
    [
        ("ru", "", "ru", "Насколько вероятно, что вы порекомендуете"),
        ("zh-hans", "", "zh-hans", "您向朋友推荐"),
        ("", "", "en", "How likely are you to recommend"),
        ("ru", "?lang=zh-hans", "zh-hans", "您向朋友推荐"),
        ("ru", "?lang=xx", "ru", "Насколько вероятно"),
    ],
)
def test_the_page_speaks_the_customers_language_unless_another_is_chosen(
    client, customer_language, query, expected, text
):
    _, token = one_invitation(language=customer_language)

    answer = client.get(_url(token, query))

    assert answer["Content-Language"] == expected
    page = answer.content.decode()
    assert text in page
    assert f'<html lang="{expected}">' in page
    assert BUTTONS[expected] in page
    assert page.count('<a href="?lang=') == 3
