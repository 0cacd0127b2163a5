"""Preview a variant for a real customer and mail it to a staff member as a test."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from campaigns.content.context import customer_contexts
from campaigns.content.extensions import context_providers
from campaigns.content.render import RenderedEmail, email_render
from campaigns.content.validation import SAMPLE_CONTEXT
from campaigns.models import OfferCodes, Variant

TEST_PREFIX = "[Test] "
# A preview shows no real unique code: it would be the code of no message (or of someone
# else's), and a staff member could hand it out.
SAMPLE_OFFER_CODE = SAMPLE_CONTEXT["offer_code"]


def variant_preview(*, variant_id: int, customer_id: int) -> RenderedEmail:
    """``variant`` rendered for the customer with their real context.

    The offer code is the campaign's shared code, or :data:`SAMPLE_OFFER_CODE` when each
    message gets a unique one. Raises ``Variant.DoesNotExist`` or ``LookupError`` (no such
    customer).
    """
    variant = Variant.objects.select_related("campaign").get(pk=variant_id)
    return _rendered(variant, customer_id)


def _rendered(variant: Variant, customer_id: int) -> RenderedEmail:
    campaign = variant.campaign
    contexts = customer_contexts(campaign=campaign, customer_ids=[customer_id])
    if customer_id not in contexts:
        raise LookupError(f"No customer with id {customer_id}.")
    offer_code = {
        OfferCodes.SHARED: campaign.offer_code,
        OfferCodes.UNIQUE: SAMPLE_OFFER_CODE,
    }.get(OfferCodes(campaign.offer_codes), "")
    # What other apps add (a survey's links) is shown as their sample: a preview is no
    # message, and a test send must not carry a link that answers for someone.
    samples = {k: v for p in context_providers(campaign.kind) for k, v in p.sample.items()}
    return email_render(
        variant=variant, context={**contexts[customer_id], "offer_code": offer_code, **samples}
    )


def variant_test_send(*, variant_id: int, customer_id: int, to_email: str) -> None:
    """Mail the preview of ``variant`` for the customer to ``to_email``, subject prefixed
    with "[Test] ", from the campaign's sender (else ``DEFAULT_FROM_EMAIL``).

    Writes nothing: a test is no message of the campaign (no assignment, no frequency cap,
    no tracking). Raises as :func:`variant_preview`, or the mail backend's error.
    """
    variant = Variant.objects.select_related("campaign").get(pk=variant_id)
    campaign = variant.campaign
    rendered = _rendered(variant, customer_id)
    email = EmailMultiAlternatives(
        subject=TEST_PREFIX + rendered.subject,
        body=rendered.text,
        from_email=campaign.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to_email],
        reply_to=[campaign.reply_to] if campaign.reply_to else None,
    )
    if rendered.html:
        email.attach_alternative(rendered.html, "text/html")
    email.send()
