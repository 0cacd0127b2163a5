"""Hard bounces and complaints reported by the email service, through django-anymail.

Anymail's tracking webhook views (``/anymail/<esp>/tracking/``, basic auth with
``ANYMAIL["WEBHOOK_SECRET"]``) normalise each ESP's payload into an
``AnymailTrackingEvent`` and send its ``tracking`` signal; :func:`tracking_event_receive`
(connected in ``CampaignsConfig.ready``) hands the two kinds that must stop all further
email to the service:

- ``bounced``: a hard bounce (the address does not exist). Anymail maps a few ESPs' soft
  bounces to ``bounced`` too; those (:data:`SOFT_BOUNCE_TYPES`, read from the ESP's own
  event) are left alone: the next send retries them.
- ``complained``: the recipient marked the email as spam.

Everything else (delivered, opened, clicked, deferred, ...) is ignored: opens and clicks
come from our own links.
"""

from typing import Any

from anymail.signals import AnymailTrackingEvent

from campaigns.models import MessageEvent
from campaigns.services.tracking import esp_event_record

# The ESP's own bounce type, where anymail reports a soft bounce as ``bounced``
# (Postmark: "SoftBounce"; its hard ones are "HardBounce").
SOFT_BOUNCE_TYPES = {"SoftBounce"}
_KINDS = {"bounced": MessageEvent.Kind.BOUNCE, "complained": MessageEvent.Kind.COMPLAINT}


def tracking_event_receive(
    sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    """Suppress the recipient of a hard bounce or complaint (anymail's ``tracking``)."""
    kind = _KINDS.get(str(event.event_type))
    if kind is None or not event.recipient or _is_soft_bounce(event):
        return
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    detail = " ".join(
        part
        for part in (esp_name, str(event.reject_reason or ""), str(event.description or ""))
        if part
    )
    esp_event_record(
        kind=kind,
        recipient=event.recipient,
        esp_message_id=str(event.message_id or ""),
        detail=(detail or str(esp_event.get("Type", "")))[:1000],
    )


def _is_soft_bounce(event: AnymailTrackingEvent) -> bool:
    esp_event = event.esp_event
    return (
        str(event.event_type) == "bounced"
        and isinstance(esp_event, dict)
        and esp_event.get("Type") in SOFT_BOUNCE_TYPES
    )
