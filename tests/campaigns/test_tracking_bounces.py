"""Hard bounces and complaints from the email service: Postmark's tracking webhook payloads
posted to anymail's real URL with the basic-auth secret suppress the address and record the
event on the message."""

import base64
import importlib
import json

import pytest
from django.urls import clear_url_caches

import clvcrm.urls
from campaigns.models import MessageEvent, Suppression

pytestmark = pytest.mark.django_db

URL = "/anymail/postmark/tracking/"
AUTH = "Basic " + base64.b64encode(b"esp-hooks:test-webhook-secret").decode()
POSTMARK_ID = "883953f4-6105-42a2-a16a-77a8eac79483"


def bounce(email: str, kind: str = "HardBounce", message_id: str = POSTMARK_ID) -> dict:
    """A Postmark bounce webhook body, shaped as Postmark documents it."""
    return {
        "RecordType": "Bounce",
        "ID": 42,
        "Type": kind,
        "TypeCode": 1 if kind == "HardBounce" else 4096,
        "Name": "Hard bounce",
        "Tag": "win-back",
        "MessageID": message_id,
        "ServerID": 23,
        "MessageStream": "broadcast",
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "shop@example.com",
        "BouncedAt": "2026-12-04T13:28:10.2735393-04:00",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "We miss you",
        "Metadata": {},
    }


def complaint(email: str) -> dict:
    body = bounce(email, "SpamComplaint")
    body.update(RecordType="SpamComplaint", TypeCode=512, Name="Spam complaint")
    return body


def post(client, body: dict, auth: str | None = AUTH):
    headers = {"Authorization": auth} if auth else {}
    return client.post(URL, json.dumps(body), content_type="application/json", headers=headers)


def test_a_hard_bounce_suppresses_the_address_and_records_the_event(client, make_message):
    message = make_message(smtp_message_id=f"<{POSTMARK_ID}>")
    response = post(client, bounce(message.to_email))
    assert response.status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.email, suppression.reason) == (message.to_email.lower(), "hard_bounce")
    assert "Postmark" in suppression.detail
    event = MessageEvent.objects.get()
    assert (event.message_id, event.kind) == (message.pk, "bounce")


def test_a_complaint_suppresses_the_address(client, make_message):
    message = make_message(smtp_message_id=POSTMARK_ID)
    assert post(client, complaint(message.to_email.upper())).status_code == 200
    assert list(Suppression.objects.values_list("email", "reason")) == [
        (message.to_email.lower(), "complaint")
    ]
    assert list(MessageEvent.objects.values_list("message_id", "kind")) == [
        (message.pk, "complaint")
    ]


def test_an_address_is_suppressed_once_and_keeps_its_first_reason(client, make_message):
    message = make_message(smtp_message_id=POSTMARK_ID)
    post(client, bounce(message.to_email))
    post(client, complaint(message.to_email.upper()))
    assert list(Suppression.objects.values_list("reason", flat=True)) == ["hard_bounce"]
    assert MessageEvent.objects.count() == 2


def test_a_bounce_of_an_unknown_message_still_suppresses(client):
    post(client, bounce("Someone@Example.org", message_id="not-ours"))
    assert list(Suppression.objects.values_list("email", flat=True)) == ["someone@example.org"]
    assert MessageEvent.objects.count() == 0


def test_a_soft_bounce_suppresses_nothing(client, make_message):
    message = make_message(smtp_message_id=POSTMARK_ID)
    assert post(client, bounce(message.to_email, "SoftBounce")).status_code == 200
    assert Suppression.objects.count() == MessageEvent.objects.count() == 0


def test_a_delivery_or_open_is_ignored(client, make_message):
    message = make_message(smtp_message_id=POSTMARK_ID)
    delivery = {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "broadcast",
        "MessageID": POSTMARK_ID,
        "Recipient": message.to_email,
        "Tag": "",
        "DeliveredAt": "2026-12-04T13:28:10Z",
        "Details": "Test delivery webhook details",
        "Metadata": {},
    }
    assert post(client, delivery).status_code == 200
    assert Suppression.objects.count() == MessageEvent.objects.count() == 0


@pytest.mark.parametrize(
    "auth",
    [None, "Basic " + base64.b64encode(b"esp-hooks:wrong").decode(), "Bearer test-webhook-secret"],
)
def test_without_the_secret_nothing_is_suppressed(client, auth):
    response = post(client, bounce("someone@example.org"), auth=auth)
    assert response.status_code == 400
    assert Suppression.objects.count() == 0


@pytest.fixture
def urls_without_secret(settings):
    """The project's URLs as a deployment without ANYMAIL_WEBHOOK_SECRET builds them."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    importlib.reload(clvcrm.urls)
    clear_url_caches()
    yield
    settings.ANYMAIL = {"WEBHOOK_SECRET": "esp-hooks:test-webhook-secret"}
    importlib.reload(clvcrm.urls)
    clear_url_caches()


def test_without_a_secret_the_webhooks_are_not_served(client, urls_without_secret):
    response = post(client, bounce("someone@example.org"), auth=None)
    assert response.status_code == 404
    assert Suppression.objects.count() == 0
