"""The unsubscribe link: a GET confirms and changes nothing; the one-click POST (RFC 8058)
unsubscribes without cookies or CSRF token, answers 200 and never redirects; the pages
speak the customer's language."""

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import MessageEvent
from campaigns.tracking.tokens import open_token, unsubscribe_token
from customers.models import Customer
from customers.services.customers import customer_unsubscribe

pytestmark = pytest.mark.django_db


def url_of(message) -> str:
    return f"/m/u/{unsubscribe_token(customer_id=message.customer_id, message_id=message.pk)}/"


def one_click(url: str):
    """What a mail client sends: a bare POST, no cookie, no CSRF token, checks enforced."""
    return Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )


def test_get_shows_the_confirmation_and_unsubscribes_nobody(client, make_message):
    message = make_message()
    response = client.get(url_of(message))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Unsubscribe from our emails?" in page
    assert '<form method="post" action="?lang=en">' in page
    assert "csrfmiddlewaretoken" not in page
    assert "topbar" not in page  # no staff navigation
    assert Customer.objects.get().unsubscribed_at is None
    assert MessageEvent.objects.count() == 0
    assert client.head(url_of(message)).status_code == 200
    assert Customer.objects.get().unsubscribed_at is None


def test_one_click_post_unsubscribes_with_200_and_no_redirect(make_message):
    message = make_message()
    response = one_click(url_of(message))
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert "Location" not in response
    customer = Customer.objects.get()
    assert customer.unsubscribed_at is not None
    assert customer.can_be_emailed is False
    event = MessageEvent.objects.get()
    assert (event.message_id, event.kind) == (message.pk, "unsubscribe")


def test_posting_again_keeps_the_first_moment_and_one_event(make_message):
    message = make_message()
    one_click(url_of(message))
    first = Customer.objects.get().unsubscribed_at
    response = one_click(url_of(message))
    assert response.status_code == 200
    assert Customer.objects.get().unsubscribed_at == first
    assert MessageEvent.objects.count() == 1


def test_the_pages_form_unsubscribes_too(make_message):
    message = make_message()
    client = Client(enforce_csrf_checks=True)
    client.get(url_of(message))
    response = client.post(url_of(message) + "?lang=en", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Customer.objects.get().unsubscribed_at is not None


def test_a_bad_token_changes_nothing(make_message):
    message = make_message()
    good = unsubscribe_token(customer_id=message.customer_id, message_id=message.pk)
    for token in (good[:-1], good + "x", open_token(message_id=message.pk), "", "garbage"):
        response = one_click(f"/m/u/{token}/")
        assert response.status_code == 404
        assert "Link not found" in response.content.decode()
        assert "Location" not in response
    assert Customer.objects.get().unsubscribed_at is None
    assert MessageEvent.objects.count() == 0


def test_the_link_outlives_its_message(make_message):
    """The customer is what matters: a deleted message still lets the link unsubscribe,
    without an event."""
    message = make_message()
    url = url_of(message)
    message.delete()
    assert one_click(url).status_code == 200
    assert Customer.objects.get().unsubscribed_at is not None
    assert MessageEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("language", "question", "done"),
    [
        ("ru", "Отписаться от наших писем?", "Вы отписались"),
        ("zh-hans", "要退订我们的邮件吗？", "您已退订"),
        ("", "Unsubscribe from our emails?", "You are unsubscribed"),
    ],
)
def test_pages_in_the_customers_language(client, make_message, language, question, done):
    message = make_message(language=language)
    page = client.get(url_of(message)).content.decode()
    assert question in page
    assert f'<html lang="{language or "en"}">' in page
    assert done in one_click(url_of(message)).content.decode()


def test_the_language_switcher_and_the_shops_language(client, make_message, settings):
    message = make_message(language="ru")
    assert "要退订我们的邮件吗？" in client.get(url_of(message) + "?lang=zh-hans").content.decode()
    assert "Отписаться" in client.get(url_of(message) + "?lang=xx").content.decode()
    page = client.get(url_of(message)).content.decode()
    assert 'href="?lang=zh-hans" lang="zh-hans">简体中文</a>' in page
    settings.LANGUAGE_CODE = "zh-hans"
    other = make_message()
    assert "要退订我们的邮件吗？" in client.get(url_of(other)).content.decode()


def test_customer_unsubscribe_sets_the_moment_once():
    customer = Customer.objects.create(external_id="C-9", email="a@example.com")
    assert customer_unsubscribe(customer_id=customer.pk) is True
    customer.refresh_from_db()
    first = customer.unsubscribed_at
    assert first is not None
    assert first <= timezone.now()
    assert customer_unsubscribe(customer_id=customer.pk) is False
    customer.refresh_from_db()
    assert customer.unsubscribed_at == first
    assert customer_unsubscribe(customer_id=customer.pk + 1) is False
