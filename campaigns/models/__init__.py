"""Models of the campaigns app, one module per topic."""

from campaigns.models.campaign import (
    BUCKETS,
    STAFF_TRIGGER_CHOICES,
    Campaign,
    CampaignKind,
    OfferCodes,
    TriggerType,
    Variant,
    WinnerMetric,
)
from campaigns.models.outbox import (
    Assignment,
    AudienceMember,
    Message,
    MessageLink,
    SuppressedReason,
    TriggerCursor,
)
from campaigns.models.recommendations import ProductAffinity
from campaigns.models.results import ArmResult, ClvEffect, ResultComputation, WinnerDecision
from campaigns.models.tracking import MessageEvent, Suppression

__all__ = [
    "BUCKETS",
    "STAFF_TRIGGER_CHOICES",
    "ArmResult",
    "Assignment",
    "AudienceMember",
    "Campaign",
    "CampaignKind",
    "ClvEffect",
    "Message",
    "MessageEvent",
    "MessageLink",
    "OfferCodes",
    "ProductAffinity",
    "ResultComputation",
    "SuppressedReason",
    "Suppression",
    "TriggerCursor",
    "TriggerType",
    "Variant",
    "WinnerDecision",
    "WinnerMetric",
]
