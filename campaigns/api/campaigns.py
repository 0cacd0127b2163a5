"""The campaigns resource: the list, creation, one campaign, its lifecycle and its results.

Every write goes through the services (``campaigns.services.campaigns``): their
ValidationError, keyed by the model's field names, comes back as a 400 naming the field as
the client sent it (``trigger.segment``, ``variants``). Creating needs
``campaigns.add_campaign``, the lifecycle ``campaigns.change_campaign`` (Marketing, Admin);
reading needs ``campaigns.view_campaign`` (Analyst and Support as well).

No ``Idempotency-Key`` here (as for customers and points; only the order import takes one):
the services' transactions are durable, and a campaign's name is unique, so a create sent
twice makes one campaign and the second answer is a 400 naming ``name``.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.models import (
    STAFF_TRIGGER_CHOICES,
    Campaign,
    OfferCodes,
    SuppressedReason,
    TriggerType,
    Variant,
    WinnerMetric,
)
from campaigns.selectors import CampaignResults, campaign_results
from campaigns.services.campaigns import (
    campaign_activate,
    campaign_create,
    campaign_finish,
    campaign_pause,
)
from clvcrm.core import idempotency
from clvcrm.core.api_errors import service_written
from clvcrm.core.api_schema import Errors
from clvcrm.core.permissions import StaffModelPermissions
from customers.api.shared import ByIdCursor
from customers.models import LoyaltyTier, Segment

MAX_VARIANTS = 10
# The service's (model's) field names -> where the client wrote them.
SERVICE_FIELD_NAMES = {
    "trigger": "trigger.type",
    "segment": "trigger.segment",
    "tier": "trigger.tier",
    "repeat_every_days": "trigger.every_days",
}
SEGMENT_TRIGGERS = (
    TriggerType.SEGMENT_ENTERED,
    TriggerType.BROADCAST,
    TriggerType.RECURRING_BROADCAST,
)


def _max_length(model: Any, name: str) -> int:
    length = model._meta.get_field(name).max_length
    assert isinstance(length, int)
    return length


# --------------------------------------------------------------------------- input


class TriggerInput(serializers.Serializer):
    """What enrols a customer; ``segment`` for the segment triggers and broadcasts,
    ``every_days`` for a recurring broadcast, ``tier`` (or null: any) for an upgrade."""

    type = serializers.ChoiceField(choices=STAFF_TRIGGER_CHOICES)
    segment = serializers.CharField(
        max_length=_max_length(Segment, "code"),
        required=False,
        help_text="A default (at_risk, high_value, low_value, new, churned) or custom "
        "segment's code.",
    )
    every_days = serializers.IntegerField(
        min_value=1, max_value=366, required=False, help_text="Days between broadcasts."
    )
    tier = serializers.CharField(
        max_length=_max_length(LoyaltyTier, "name"),
        allow_null=True,
        required=False,
        help_text="The tier upgraded to, by name; null or left out: any upgrade.",
    )

    USES = {
        TriggerType.SEGMENT_ENTERED: {"segment"},
        TriggerType.BROADCAST: {"segment"},
        TriggerType.RECURRING_BROADCAST: {"segment", "every_days"},
        TriggerType.TIER_UPGRADE: {"tier"},
        TriggerType.DOWNGRADE_WARNING: set(),
    }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs["type"]
        errors: dict[str, list[str]] = {
            name: [f"Not used by the {kind} trigger."]
            for name in ("segment", "every_days", "tier")
            if name in attrs and name not in self.USES[kind]
        }
        if "segment" in self.USES[kind] and "segment" not in attrs:
            errors["segment"] = [f"The {kind} trigger needs a segment."]
        if kind == TriggerType.RECURRING_BROADCAST and "every_days" not in attrs:
            errors["every_days"] = ["A recurring broadcast needs the days between sends."]
        if "segment" in attrs and "segment" not in errors:
            attrs["segment"] = Segment.objects.filter(code=attrs["segment"]).first()
            if attrs["segment"] is None:
                errors["segment"] = ["No segment has this code."]
        if attrs.get("tier") is not None and "tier" not in errors:
            attrs["tier"] = LoyaltyTier.objects.filter(name=attrs["tier"]).first()
            if attrs["tier"] is None:
                errors["tier"] = ["No loyalty tier has this name."]
        if errors:
            raise ValidationError(errors)
        return attrs


class VariantInput(serializers.Serializer):
    name = serializers.CharField(max_length=_max_length(Variant, "name"))
    weight = serializers.IntegerField(
        min_value=1, max_value=1000, default=1, help_text="Share of the non-holdout arms."
    )
    subject = serializers.CharField(
        max_length=_max_length(Variant, "subject"), help_text="A template, like the bodies."
    )
    body_text = serializers.CharField(trim_whitespace=False)
    body_html = serializers.CharField(trim_whitespace=False, allow_blank=True, default="")


class CampaignInput(serializers.Serializer):
    """A new campaign (a draft): its trigger, audience, holdout, sender and variants."""

    name = serializers.CharField(max_length=_max_length(Campaign, "name"))
    description = serializers.CharField(allow_blank=True, default="")
    trigger = TriggerInput()
    include_current_members = serializers.BooleanField(
        default=False,
        help_text="segment_entered: on activation, also enrol everyone in the segment then, "
        "once (else only those who enter from then on).",
    )
    holdout_percent = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("0"),
        max_value=Decimal("90"),
        default=Decimal("10.0"),
        help_text="Share of recipients who get nothing (the control group), 0 to 90.",
    )
    attribution_days = serializers.IntegerField(min_value=1, max_value=365, default=7)
    auto_winner = serializers.BooleanField(
        default=False,
        help_text="Once every arm has winner_minimum_per_arm customers whose window has "
        "closed, give new entrants the variant that beats the holdout and every other "
        "variant at winner_alpha after Holm's correction, if one does (decided once).",
    )
    winner_metric = serializers.ChoiceField(
        choices=WinnerMetric.choices, default=WinnerMetric.CONVERSION_RATE
    )
    winner_minimum_per_arm = serializers.IntegerField(
        min_value=10, max_value=10_000_000, default=1000
    )
    winner_alpha = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=Decimal("0.2"),
        default=Decimal("0.050"),
    )
    priority = serializers.IntegerField(
        min_value=0, max_value=1000, default=100, help_text="Under the frequency cap, higher wins."
    )
    from_email = serializers.CharField(
        max_length=_max_length(Campaign, "from_email"), allow_blank=True, default=""
    )
    reply_to = serializers.EmailField(
        max_length=_max_length(Campaign, "reply_to"), allow_blank=True, default=""
    )
    offer_codes = serializers.ChoiceField(choices=OfferCodes.choices, default=OfferCodes.NONE)
    offer_code = serializers.CharField(
        max_length=_max_length(Campaign, "offer_code"), allow_blank=True, default=""
    )
    variants = serializers.ListField(child=VariantInput(), min_length=1, max_length=MAX_VARIANTS)

    def service_arguments(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The service's ``fields`` and ``variants`` from the validated input."""
        data = dict(self.validated_data)
        trigger = data.pop("trigger")
        variants = [dict(variant) for variant in data.pop("variants")]
        fields = {
            **data,
            "trigger": trigger["type"],
            "segment": trigger.get("segment"),
            "tier": trigger.get("tier"),
            "repeat_every_days": trigger.get("every_days"),
        }
        return fields, variants


# --------------------------------------------------------------------------- output


class TriggerOutput(serializers.Serializer):
    type = serializers.ChoiceField(source="trigger", choices=TriggerType.choices)
    segment = serializers.CharField(source="segment.code", allow_null=True, default=None)
    every_days = serializers.IntegerField(source="repeat_every_days", allow_null=True, default=None)
    tier = serializers.CharField(source="tier.name", allow_null=True, default=None)


class VariantOutput(serializers.ModelSerializer):
    class Meta:
        model = Variant
        fields = [
            "id",
            "name",
            "weight",
            "subject",
            "body_text",
            "body_html",
            "bucket_from",
            "bucket_to",
        ]


class CampaignOutput(serializers.ModelSerializer):
    trigger = TriggerOutput(source="*")
    variants = VariantOutput(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "description",
            "status",
            "trigger",
            "include_current_members",
            "holdout_percent",
            "attribution_days",
            "auto_winner",
            "winner_metric",
            "winner_minimum_per_arm",
            "winner_alpha",
            "priority",
            "from_email",
            "reply_to",
            "offer_codes",
            "offer_code",
            "variants",
            "created_at",
            "activated_at",
            "paused_at",
            "finished_at",
        ]


SuppressedByReasonOutput = type(
    "SuppressedByReasonOutput",
    (serializers.Serializer,),
    {reason: serializers.IntegerField() for reason in SuppressedReason.values},
)


def _figure(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=help_text)


def _money(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text=help_text
    )


class UpliftOutput(serializers.Serializer):
    absolute = _figure("Conversion rate minus the holdout's.")
    relative = _figure("Conversion rate over the holdout's, minus 1 (null: the holdout's is 0).")
    ci_low = _figure("95% interval of the absolute uplift (Newcombe's hybrid score), low end.")
    ci_high = _figure("95% interval of the absolute uplift, high end.")
    relative_ci_low = _figure("95% interval of the relative uplift (log ratio), low end.")
    relative_ci_high = _figure("95% interval of the relative uplift, high end.")
    p_value = _figure("Two-sided two-proportion z test (pooled variance).")
    p_value_adjusted = _figure("The p-value adjusted over the campaign's variants (Holm).")


class RevenuePerCustomerOutput(serializers.Serializer):
    mean = _money("Revenue (net of refunds) per assigned customer in the window.")
    absolute = _figure(
        "Difference from the holdout's, of revenue capped at the pooled arms' 99th "
        "percentile and adjusted by each customer's 90-day prior spend (CUPED)."
    )
    relative = _figure("The difference relative to the holdout's adjusted mean.")
    ci_low = _figure("95% interval of the difference (Welch's t), low end.")
    ci_high = _figure("95% interval of the difference (Welch's t), high end.")
    bootstrap_low = _figure("95% percentile bootstrap interval of the capped difference, low end.")
    bootstrap_high = _figure("95% percentile bootstrap interval, high end.")
    p_value = _figure("Welch's t test on the capped, adjusted revenue.")
    p_value_adjusted = _figure("The p-value adjusted over the campaign's variants (Holm).")
    cap = _figure("The cap applied to each customer's revenue (shop currency).")


class VariantResultsOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    weight = serializers.IntegerField()
    recipients = serializers.IntegerField(help_text="Customers assigned this variant.")
    pending = serializers.IntegerField(source="messages.pending")
    sending = serializers.IntegerField(source="messages.sending")
    sent = serializers.IntegerField(source="messages.sent")
    suppressed = serializers.IntegerField(source="messages.suppressed")
    suppressed_by_reason = SuppressedByReasonOutput(source="messages.suppressed_by_reason")
    failed = serializers.IntegerField(source="messages.failed")
    opens = serializers.IntegerField(
        source="messages.opens", help_text="Messages a person opened at least once."
    )
    opens_total = serializers.IntegerField(
        source="messages.opens_total", help_text="Every human open (machine opens excluded)."
    )
    clicks = serializers.IntegerField(
        source="messages.clicks", help_text="Messages a person clicked at least once."
    )
    clicks_total = serializers.IntegerField(
        source="messages.clicks_total", help_text="Every human click."
    )
    conversions = serializers.IntegerField(
        allow_null=True,
        help_text="Assignments followed by a completed order within the attribution window "
        "(at computed_at; null before the first computation).",
    )
    revenue = _money("Those orders' totals net of refunds.")
    conversion_rate = _figure("Conversions per assignment, at computed_at.")
    uplift = UpliftOutput(
        allow_null=True, help_text="Against the holdout; null when there is none to compare."
    )
    revenue_per_customer = RevenuePerCustomerOutput(allow_null=True)


class HoldoutResultsOutput(serializers.Serializer):
    recipients = serializers.IntegerField(help_text="Customers assigned the holdout.")
    conversions = serializers.IntegerField(allow_null=True)
    revenue = _money("Net of refunds, in the window after assignment.")


class SampleRatioOutput(serializers.Serializer):
    p_value = _figure("Chi-square of assigned counts against the configured shares.")
    mismatch = serializers.BooleanField(
        help_text="The split is off (p < 0.001): the results cannot be trusted."
    )


class CampaignResultsOutput(serializers.Serializer):
    campaign = serializers.IntegerField(help_text="The campaign's id.")
    variants = VariantResultsOutput(many=True)
    holdout = HoldoutResultsOutput()
    srm = SampleRatioOutput(allow_null=True, help_text="Sample-ratio-mismatch check.")
    final = serializers.BooleanField(
        help_text="Every assigned customer's attribution window had closed at computed_at; "
        "before that the figures are provisional."
    )
    computed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the figures above were computed (null: not yet)."
    )


# --------------------------------------------------------------------------- views


def campaigns_with_variants() -> QuerySet[Campaign]:
    """Campaigns with everything :class:`CampaignOutput` shows, in two queries a page."""
    return Campaign.objects.select_related("segment", "tier").prefetch_related(
        Prefetch("variants", queryset=Variant.objects.order_by("id"))
    )


def _campaign_answer(campaign: Campaign, status_code: int = status.HTTP_200_OK) -> Response:
    fresh = campaigns_with_variants().get(pk=campaign.pk)
    return Response(CampaignOutput(fresh).data, status=status_code)


@extend_schema_view(
    post=extend_schema(
        request=CampaignInput,
        parameters=[idempotency.SCHEMA_PARAMETER],
        responses={
            201: OpenApiResponse(CampaignOutput, "Created."),
            422: OpenApiResponse(Errors, "The Idempotency-Key came with another body."),
        },
    ),
)
class CampaignListApi(generics.ListCreateAPIView):
    """Campaigns, newest first; POST creates a draft (Marketing, Admin). With an
    ``Idempotency-Key`` a request sent again gets the first answer and creates nothing."""

    serializer_class = CampaignOutput
    pagination_class = ByIdCursor

    def get_queryset(self) -> QuerySet[Campaign]:
        return campaigns_with_variants()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return idempotency.idempotent_write(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        given = CampaignInput(data=request.data)
        given.is_valid(raise_exception=True)
        fields, variants = given.service_arguments()
        try:
            campaign = service_written(
                lambda: campaign_create(fields=fields, variants=variants, created_by=request.user),
                field_names=SERVICE_FIELD_NAMES,
            )
        except IntegrityError:
            # Two requests creating the same name at once: the second loses the race.
            if not Campaign.objects.filter(name=fields["name"]).exists():
                raise
            raise ValidationError({"name": ["Campaign with this Name already exists."]}) from None
        return _campaign_answer(campaign, status.HTTP_201_CREATED)


class CampaignDetailApi(generics.RetrieveAPIView):
    """A campaign with its variants."""

    serializer_class = CampaignOutput

    def get_queryset(self) -> QuerySet[Campaign]:
        return campaigns_with_variants()


class ChangesCampaigns(StaffModelPermissions):
    """A lifecycle POST changes the campaign: ``campaigns.change_campaign``."""

    perms_map = {**StaffModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


@extend_schema(request=None, responses={200: CampaignOutput})
class CampaignLifecycleApi(generics.GenericAPIView):
    """Base of the lifecycle actions: POST, no body, the campaign after the change."""

    permission_classes = [ChangesCampaigns]
    serializer_class = CampaignOutput
    http_method_names = ["post", "options"]
    change: Callable[..., Campaign]

    def get_queryset(self) -> QuerySet[Campaign]:
        return Campaign.objects.all()

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        campaign = self.get_object()
        change = type(self).change
        return _campaign_answer(
            service_written(
                lambda: change(campaign_id=campaign.pk, actor=request.user),
                field_names=SERVICE_FIELD_NAMES,
            )
        )


class CampaignActivateApi(CampaignLifecycleApi):
    """Activate a draft (its arms are fixed from then on) or resume a paused campaign."""

    change = staticmethod(campaign_activate)


class CampaignPauseApi(CampaignLifecycleApi):
    """Pause an active campaign: it records entrants but sends nothing until resumed."""

    change = staticmethod(campaign_pause)


class CampaignFinishApi(CampaignLifecycleApi):
    """Finish a campaign for good; what is still pending is suppressed, not sent."""

    change = staticmethod(campaign_finish)


class CampaignResultsApi(generics.GenericAPIView):
    """Per variant: recipients (assignments), messages by status, suppressions by reason,
    human opens and clicks (now); conversions, revenue and the uplift against the holdout
    with intervals and Holm-adjusted p-values, the holdout's conversions and revenue, and
    the sample-ratio check, as of the latest results computation (``computed_at``;
    recomputed after orders come in and nightly)."""

    serializer_class = CampaignResultsOutput

    def get_queryset(self) -> QuerySet[Campaign]:
        return Campaign.objects.all()

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        campaign = self.get_object()
        results: CampaignResults = campaign_results(campaign_id=campaign.pk)
        return Response(CampaignResultsOutput(results).data)
