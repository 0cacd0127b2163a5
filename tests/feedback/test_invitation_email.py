"""What the campaigns learn from the feedback app: the survey's context in the invitation
email (known to the template check of feedback campaigns only), its links untracked, and
direct campaigns made only by the app that enrols them."""

import pytest
from django.core.exceptions import ValidationError

from campaigns.content.render import Recipient, RenderedEmail, contexts_build
from campaigns.content.validation import variant_template_errors
from campaigns.models import Message, Variant
from campaigns.services.campaigns import campaign_create
from campaigns.services.previews import variant_preview
from campaigns.tracking.compose import email_finish
from tests.feedback.builders import one_invitation

pytestmark = pytest.mark.django_db


def test_only_a_feedback_campaigns_templates_may_name_the_survey():
    source = "{{ survey.question }} {% for p in survey.scale %}{{ p.url }}{% endfor %}"

    feedback = variant_template_errors(
        subject="Hi", body_text=source, body_html="", kind="feedback"
    )
    marketing = variant_template_errors(subject="Hi", body_text=source, body_html="")

    assert feedback == {}
    assert marketing["body_text"].startswith("Unknown variable {{ survey.question }}")


def test_the_invitation_context_carries_the_links_of_its_own_token(settings):
    settings.SITE_URL = "https://crm.example.com"
    invitation, token = one_invitation(language="zh-hans")
    message = Message.objects.get(customer_id=invitation.customer_id)

    contexts = contexts_build(
        campaign=message.campaign, recipients=[Recipient(message.pk, message.customer_id)]
    )

    survey = contexts[message.pk]["survey"]
    assert survey["url"] == f"https://crm.example.com/s/{token}/"
    assert [point["url"] for point in survey["scale"]] == [
        f"https://crm.example.com/s/{token}/?score={score}" for score in range(11)
    ]
    assert survey["question"] == "您向朋友推荐clvcrm demo shop的可能性有多大？"
    assert survey["least_likely"] == "完全不可能"


def test_survey_links_are_sent_untracked_and_other_links_tracked(settings):
    settings.SITE_URL = "https://crm.example.com"
    survey_link = "https://crm.example.com/s/TOKEN/?score=3"
    rendered = RenderedEmail(
        subject="S",
        text=f"{survey_link} https://shop.example/tea",
        html=f'<a href="{survey_link}">3</a><a href="https://shop.example/tea">tea</a>',
    )

    finished = email_finish(message_id=1, customer_id=1, language="en", rendered=rendered)

    assert finished.links == ["https://shop.example/tea"]
    assert f'href="{survey_link}"' in finished.email.html
    assert finished.email.text.startswith(f"{survey_link} https://crm.example.com/m/c/")


def test_staff_cannot_make_a_direct_campaign():
    with pytest.raises(ValidationError) as refused:
        campaign_create(
            fields={"name": "Sneaky", "trigger": "direct"},
            variants=[{"name": "A", "subject": "S", "body_text": "T"}],
        )
    assert "trigger" in refused.value.message_dict


def test_a_preview_of_the_invitation_shows_sample_links():
    invitation, token = one_invitation()

    preview = variant_preview(
        variant_id=Variant.objects.get(campaign__survey__pk=invitation.survey_id).pk,
        customer_id=invitation.customer_id,
    )

    assert "How likely are you to recommend Sample shop to a friend?" in preview.html
    assert "https://shop.example/s/TOKEN/?score=10" in preview.text
    assert token not in preview.text + preview.html
