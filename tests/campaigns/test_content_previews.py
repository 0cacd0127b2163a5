"""Preview a variant for a chosen customer; mail it to oneself as a test."""

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse

from campaigns.content.render import RenderedEmail
from campaigns.services.previews import variant_preview, variant_test_send

from .content_builders import campaign_with_variant, customer_named

pytestmark = pytest.mark.django_db  # segments and tiers come from the migrations

SUBJECT = "{{ customer.first_name }}, here is {{ offer_code }}"
TEXT = "Dear {{ customer.full_name }}"
HTML = "<p>Dear {{ customer.full_name }}</p>"


@pytest.fixture
def variant():
    return campaign_with_variant(
        subject=SUBJECT,
        body_text=TEXT,
        body_html=HTML,
        offer_codes="unique",
        from_email="Bean & Leaf <news@bean.example>",
    )


@pytest.fixture
def ada():
    return customer_named("Ada", "Lovelace", "ada@example.com")


def client_of(make_staff, role: str, email: str = "me@shop.example") -> Client:
    user = make_staff(role)
    user.email = email
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_the_preview_shows_a_sample_offer_code_not_a_real_one(variant, ada):
    assert variant_preview(variant_id=variant.pk, customer_id=ada.pk) == RenderedEmail(
        subject="Ada, here is CLV-TEST-CODE",
        text="Dear Ada Lovelace",
        html="<p>Dear Ada Lovelace</p>",
    )


def test_a_test_send_mails_the_preview_with_the_campaigns_sender(variant, ada):
    variant_test_send(variant_id=variant.pk, customer_id=ada.pk, to_email="me@shop.example")

    [email] = mail.outbox
    assert isinstance(email, EmailMultiAlternatives)
    assert email.subject == "[Test] Ada, here is CLV-TEST-CODE"
    assert email.from_email == "Bean & Leaf <news@bean.example>"
    assert email.to == ["me@shop.example"]
    assert email.body == "Dear Ada Lovelace"
    assert email.alternatives == [("<p>Dear Ada Lovelace</p>", "text/html")]


def test_without_a_sender_the_default_one_is_used(settings, ada):
    settings.DEFAULT_FROM_EMAIL = "shop@default.example"
    plain = campaign_with_variant(subject="Hi", body_text="Text")
    variant_test_send(variant_id=plain.pk, customer_id=ada.pk, to_email="me@shop.example")
    [email] = mail.outbox
    assert isinstance(email, EmailMultiAlternatives)
    assert (email.from_email, email.alternatives) == ("shop@default.example", [])


@pytest.mark.parametrize("chosen", ["id", "ADA@example.com"])
def test_the_preview_page_renders_for_a_customer_chosen_by_id_or_email(
    make_staff, variant, ada, chosen
):
    client = client_of(make_staff, "Analyst")
    query = str(ada.pk) if chosen == "id" else chosen
    url = reverse("campaigns:variant-preview", args=[variant.pk])

    response = client.get(url, {"customer": query})

    assert response.status_code == 200
    page = response.content.decode()
    assert '<dd id="preview-subject">Ada, here is CLV-TEST-CODE</dd>' in page
    assert 'srcdoc="&lt;p&gt;Dear Ada Lovelace&lt;/p&gt;"' in page
    assert '<pre class="card email-text" id="preview-text">Dear Ada Lovelace</pre>' in page
    assert 'id="send-test"' not in page  # the Analyst may not send tests


def test_the_preview_page_says_when_no_customer_matches(make_staff, variant):
    client = client_of(make_staff, "Marketing")
    url = reverse("campaigns:variant-preview", args=[variant.pk])

    response = client.get(url, {"customer": "nobody@example.com"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "No customer has the id or email “nobody@example.com”." in page
    assert "preview-subject" not in page


def test_send_test_mails_the_signed_in_staff_member(make_staff, variant, ada):
    client = client_of(make_staff, "Marketing")
    url = reverse("campaigns:variant-test-send", args=[variant.pk])

    response = client.post(url, {"customer": "ada@example.com"}, follow=True)

    preview = reverse("campaigns:variant-preview", args=[variant.pk])
    assert response.redirect_chain == [(f"{preview}?customer=ada%40example.com", 302)]
    assert "Test sent to me@shop.example." in response.content.decode()
    [email] = mail.outbox
    assert (email.to, email.subject) == (["me@shop.example"], "[Test] Ada, here is CLV-TEST-CODE")


def test_send_test_needs_an_email_address_on_the_account(make_staff, variant, ada):
    client = client_of(make_staff, "Marketing", email="")
    url = reverse("campaigns:variant-test-send", args=[variant.pk])

    response = client.post(url, {"customer": str(ada.pk)}, follow=True)

    assert "No test sent: your account has no email address." in response.content.decode()
    assert mail.outbox == []


def test_send_test_needs_a_customer(make_staff, variant):
    client = client_of(make_staff, "Marketing")
    url = reverse("campaigns:variant-test-send", args=[variant.pk])

    response = client.post(url, {"customer": "999999"}, follow=True)

    page = response.content.decode()
    assert "No test sent: choose a customer to render the email for." in page
    assert mail.outbox == []


def test_permissions(make_staff, variant, ada):
    preview = reverse("campaigns:variant-preview", args=[variant.pk])
    send = reverse("campaigns:variant-test-send", args=[variant.pk])
    assert Client().get(preview).status_code == 302  # to the login page
    analyst = client_of(make_staff, "Analyst")
    assert analyst.post(send, {"customer": str(ada.pk)}).status_code == 403
    assert analyst.get(send).status_code == 405
    assert mail.outbox == []
    missing = reverse("campaigns:variant-preview", args=[variant.pk + 1])
    assert analyst.get(missing).status_code == 404


def test_the_preview_page_escapes_what_the_email_holds(make_staff):
    variant = campaign_with_variant(
        subject="{{ customer.first_name }}",
        body_text="{{ customer.first_name }}",
        body_html='<a href="https://shop.example/">{{ customer.first_name }}</a>',
    )
    mallory = customer_named("<script>x</script>", email="m@example.com")
    client = client_of(make_staff, "Marketing")

    response = client.get(
        reverse("campaigns:variant-preview", args=[variant.pk]), {"customer": str(mallory.pk)}
    )

    page = response.content.decode()
    assert "<script>" not in page
    assert '<dd id="preview-subject">&lt;script&gt;x&lt;/script&gt;</dd>' in page
    assert 'id="preview-text">&lt;script&gt;x&lt;/script&gt;</pre>' in page
    # The HTML body, escaped once for the attribute (its own escaping shows as &amp;lt;).
    assert (
        'srcdoc="&lt;a href=&quot;https://shop.example/&quot;&gt;'
        "&amp;lt;script&amp;gt;x&amp;lt;/script&amp;gt;&lt;/a&gt;"
    ) in page
