"""Whether a claimed message may be sent, decided from one row of facts per message.

Pure functions over the facts :mod:`campaigns.outbox.claim` reads in one query, so the
order of the rules is plain to see and tested without a database.
"""

from dataclasses import dataclass

from campaigns.models import CampaignKind, SuppressedReason, TriggerType


@dataclass(frozen=True)
class SendFacts:
    """What the send-time checks need to know about one claimed message."""

    message_id: int
    customer_id: int
    campaign_kind: str
    trigger: str
    email: str
    marketing_consent: bool
    unsubscribed: bool
    address_suppressed: bool
    ordered_since_trigger: bool
    still_in_segment: bool
    recent_marketing: int  # sent in the cap window, or being sent now, to this customer
    erased: bool = False  # a privacy request erased the customer (or the row is gone)


def suppressed_reason(facts: SendFacts, *, sending_to_customer: int, cap: int) -> str | None:
    """Why the message must not be sent, or ``None`` when it may.

    ``sending_to_customer`` counts the messages of the same batch already cleared for this
    customer (the batch is read most important first, so a higher-priority campaign wins
    the cap).
    """
    marketing = facts.campaign_kind == CampaignKind.MARKETING
    if facts.erased:  # first: whatever the row holds now, nothing goes to them again
        return SuppressedReason.ERASED
    if not facts.email:
        return SuppressedReason.NO_EMAIL
    if facts.unsubscribed:
        return SuppressedReason.UNSUBSCRIBED
    if marketing and not facts.marketing_consent:
        return SuppressedReason.NO_CONSENT
    if facts.address_suppressed:
        return SuppressedReason.SUPPRESSED_ADDRESS
    if facts.trigger == TriggerType.SEGMENT_ENTERED:
        # Exit conditions: no win-back email to someone who bought an hour ago.
        if facts.ordered_since_trigger:
            return SuppressedReason.CONVERTED
        if not facts.still_in_segment:
            return SuppressedReason.LEFT_SEGMENT
    if marketing and facts.recent_marketing + sending_to_customer >= cap:
        return SuppressedReason.FREQUENCY_CAP
    return None


def retry_delay_seconds(*, attempts: int, base: int) -> int:
    """Exponential backoff after the ``attempts``-th failed try: base, 2×base, 4×base, ..."""
    return base * 2 ** max(attempts - 1, 0)
