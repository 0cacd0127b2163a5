"""The surveys resource (API v1, ``/api/v1/surveys/``): list and create surveys, invite a
segment or a list of customers, read a survey's NPS figures.

Writes go through the services (``feedback.services``); their ValidationError, keyed by
the model's field names, comes back as a 400 naming the field as the client wrote it
(``trigger.days``). Creating needs ``feedback.add_survey``, inviting
``feedback.change_survey`` (Marketing, Admin); reading, ``feedback.view_survey``.
"""

from datetime import date
from typing import Any

from django.db import IntegrityError, models
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from clvcrm.core.api_errors import service_written
from clvcrm.core.input_values import InputValueError, date_from_text
from clvcrm.core.permissions import StaffModelPermissions
from customers.api.shared import ByIdCursor
from customers.models import Customer, Segment
from feedback.analytics import Period
from feedback.audience import SkipReason
from feedback.models import SURVEY_LANGUAGES, Survey, SurveyTrigger
from feedback.selectors import survey_nps
from feedback.services.invitations import InviteOutcome, survey_invite
from feedback.services.surveys import survey_create, survey_update

MAX_CUSTOMERS = 10_000
# The service's (model's) field names -> where the client wrote them.
SERVICE_FIELD_NAMES = {
    "trigger": "trigger.type",
    "after_order_days": "trigger.days",
    "segment": "trigger.segment",
    "every_days": "trigger.every_days",
    "question_en": "question",
    "open_question_en": "open_question",
    "question_zh_hans": "translations.zh-hans",
    "question_ru": "translations.ru",
}


def _max_length(name: str) -> int:
    field = Survey._meta.get_field(name)
    assert isinstance(field, models.Field)
    assert isinstance(field.max_length, int)
    return field.max_length


# --------------------------------------------------------------------------- input


class SurveyTriggerInput(serializers.Serializer):
    """What invites customers: ``manual`` (the invite action), ``after_order`` (``days``
    after a completed order, daily) or ``periodic`` (a ``segment``, every ``every_days``)."""

    type = serializers.ChoiceField(choices=SurveyTrigger.choices)
    days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    segment = serializers.CharField(max_length=50, required=False)
    every_days = serializers.IntegerField(min_value=1, max_value=366, required=False)

    USES = {
        SurveyTrigger.MANUAL: set(),
        SurveyTrigger.AFTER_ORDER: {"days"},
        SurveyTrigger.PERIODIC: {"segment", "every_days"},
    }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs["type"]
        errors: dict[str, list[str]] = {}
        for name in ("days", "segment", "every_days"):
            if name in attrs and name not in self.USES[kind]:
                errors[name] = [f"Not used by the {kind} trigger."]
            elif name not in attrs and name in self.USES[kind]:
                errors[name] = [f"The {kind} trigger needs it."]
        if "segment" in attrs and "segment" not in errors:
            attrs["segment"] = Segment.objects.filter(code=attrs["segment"]).first()
            if attrs["segment"] is None:
                errors["segment"] = ["No segment has this code."]
        if errors:
            raise ValidationError(errors)
        return attrs


class FollowUpInput(serializers.Serializer):
    """The promoter follow-up email: campaign templates (docs/campaign-templates.md)."""

    subject = serializers.CharField(max_length=300)
    body_text = serializers.CharField(trim_whitespace=False)
    body_html = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class SurveyInput(serializers.Serializer):
    """A new survey; the question defaults to the NPS question in each language. On
    PATCH, only what is given changes (a ``trigger`` is given whole)."""

    name = serializers.CharField(max_length=_max_length("name"))
    question = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text="The NPS question in English; {shop} is the shop's name. Left out: "
        '"How likely are you to recommend {shop} to a friend?"',
    )
    translations = serializers.DictField(
        child=serializers.CharField(max_length=300, allow_blank=True),
        required=False,
        help_text='The question in the other languages ("zh-hans", "ru"); left out: the '
        "default question in that language.",
    )
    open_question = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text="Optional, in English."
    )
    trigger = SurveyTriggerInput()
    throttle_days = serializers.IntegerField(
        min_value=0,
        max_value=3650,
        required=False,
        allow_null=True,
        help_text="Skip customers invited by any survey within this many days; null: the "
        "shop's setting (FEEDBACK_THROTTLE_DAYS, 90).",
    )
    active_from = serializers.DateTimeField(required=False, allow_null=True)
    active_until = serializers.DateTimeField(required=False, allow_null=True)
    promoter_follow_up = FollowUpInput(
        required=False,
        allow_null=True,
        help_text="A follow-up email (review or referral ask) to promoters (9–10): a "
        "marketing email (consent, frequency cap, global control apply); null: none.",
    )

    def validate_translations(self, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SURVEY_LANGUAGES[1:]))
        if unknown:
            raise ValidationError(f"Not a language of the survey: {', '.join(unknown)}.")
        return value

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        trigger = data.pop("trigger")
        translations = data.get("translations", {})
        return {
            "name": data["name"],
            "question_en": data.get("question", ""),
            "question_zh_hans": translations.get("zh-hans", ""),
            "question_ru": translations.get("ru", ""),
            "open_question_en": data.get("open_question", ""),
            "trigger": trigger["type"],
            "after_order_days": trigger.get("days"),
            "segment": trigger.get("segment"),
            "every_days": trigger.get("every_days"),
            "throttle_days": data.get("throttle_days"),
            "active_from": data.get("active_from"),
            "active_until": data.get("active_until"),
            "promoter_follow_up": _follow_up(data.get("promoter_follow_up")),
        }

    def changed_fields(self) -> dict[str, Any]:
        """The fields a PATCH names, as the service's (model's) field names."""
        data = dict(self.validated_data)
        fields: dict[str, Any] = {}
        if "trigger" in data:
            trigger = data["trigger"]
            fields.update(
                trigger=trigger["type"],
                after_order_days=trigger.get("days"),
                segment=trigger.get("segment"),
                every_days=trigger.get("every_days"),
            )
        for language, text in data.get("translations", {}).items():
            fields[f"question_{language.replace('-', '_')}"] = text
        renamed = {"question": "question_en", "open_question": "open_question_en"}
        for name in ("name", "question", "open_question", "throttle_days"):
            if name in data:
                fields[renamed.get(name, name)] = data[name]
        for name in ("active_from", "active_until"):
            if name in data:
                fields[name] = data[name]
        if "promoter_follow_up" in data:
            fields["promoter_follow_up"] = _follow_up(data["promoter_follow_up"])
        return fields


def _follow_up(given: dict[str, Any] | None) -> dict[str, str] | None:
    if given is None:
        return None
    return {"body_html": "", **given}


class InviteInput(serializers.Serializer):
    """Whom to invite now: a segment (default or custom, by code) or customers (external
    ids), not both."""

    segment = serializers.CharField(max_length=50, required=False)
    customers = serializers.ListField(
        child=serializers.CharField(max_length=64),
        min_length=1,
        max_length=MAX_CUSTOMERS,
        required=False,
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("segment" in attrs) == ("customers" in attrs):
            raise ValidationError("Name either a segment or customers.")
        return attrs


# --------------------------------------------------------------------------- output


class SurveyTriggerOutput(serializers.Serializer):
    type = serializers.ChoiceField(source="trigger", choices=SurveyTrigger.choices)
    days = serializers.IntegerField(source="after_order_days", allow_null=True)
    segment = serializers.CharField(source="segment.code", allow_null=True, default=None)
    every_days = serializers.IntegerField(allow_null=True)


QuestionsOutput = type(
    "QuestionsOutput",
    (serializers.Serializer,),
    {
        **{language: serializers.CharField() for language in SURVEY_LANGUAGES},
        "to_representation": lambda self, survey: {
            language: survey.question_in(language) for language in SURVEY_LANGUAGES
        },
    },
)


class SurveyOutput(serializers.ModelSerializer):
    questions = QuestionsOutput(source="*", help_text="The NPS question in each language.")
    trigger = SurveyTriggerOutput(source="*")

    class Meta:
        model = Survey
        fields = [
            "id",
            "name",
            "questions",
            "open_question_en",
            "trigger",
            "throttle_days",
            "active_from",
            "active_until",
            "campaign",
            "follow_up_campaign",
            "created_at",
        ]
        extra_kwargs = {
            "follow_up_campaign": {
                "help_text": "The campaign of the promoter follow-up email; null: none."
            }
        }


SkippedOutput = type(
    "SkippedOutput",
    (serializers.Serializer,),
    {reason: serializers.IntegerField() for reason in SkipReason.values},
)


class InviteOutput(serializers.Serializer):
    invited = serializers.IntegerField(help_text="Invitations made; each email is queued.")
    skipped = SkippedOutput(help_text="Customers not invited, by reason.")


class NpsOutput(serializers.Serializer):
    nps = serializers.FloatField(
        allow_null=True, help_text="% promoters − % detractors, −100 to 100; null: no answer."
    )
    responses = serializers.IntegerField()
    promoters = serializers.IntegerField(help_text="Scores 9–10.")
    passives = serializers.IntegerField(help_text="Scores 7–8.")
    detractors = serializers.IntegerField(help_text="Scores 0–6.")
    invitations = serializers.IntegerField()
    response_rate = serializers.FloatField(
        allow_null=True, help_text="Responses per invitation, 0 to 1; null: no invitation."
    )


# --------------------------------------------------------------------------- views


def _surveys() -> QuerySet[Survey]:
    return Survey.objects.select_related("segment")


@extend_schema_view(
    post=extend_schema(
        request=SurveyInput, responses={201: OpenApiResponse(SurveyOutput, "Created.")}
    ),
)
class SurveyListApi(generics.ListCreateAPIView):
    """Surveys, newest first; POST creates one with its invitation campaign (Marketing,
    Admin)."""

    serializer_class = SurveyOutput
    pagination_class = ByIdCursor

    def get_queryset(self) -> QuerySet[Survey]:
        return _surveys()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = SurveyInput(data=request.data)
        given.is_valid(raise_exception=True)
        fields = given.service_fields()
        try:
            survey = service_written(
                lambda: survey_create(fields=fields, created_by=request.user),
                field_names=SERVICE_FIELD_NAMES,
            )
        except IntegrityError:
            # Two requests creating the same name at once: the second loses the race.
            if not Survey.objects.filter(name=fields["name"]).exists():
                raise
            raise ValidationError({"name": ["Survey with this Name already exists."]}) from None
        fresh = _surveys().get(pk=survey.pk)
        return Response(SurveyOutput(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    patch=extend_schema(request=SurveyInput, responses={200: SurveyOutput}),
)
class SurveyDetailApi(generics.RetrieveUpdateAPIView):
    """A survey; PATCH changes what it names (Marketing, Admin), the promoter follow-up
    email included (``promoter_follow_up``: the email, or null for none)."""

    serializer_class = SurveyOutput
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Survey]:
        return _surveys()

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        survey = self.get_object()
        given = SurveyInput(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        fields = given.changed_fields()
        try:
            service_written(
                lambda: survey_update(survey_id=survey.pk, fields=fields, changed_by=request.user),
                field_names=SERVICE_FIELD_NAMES,
            )
        except IntegrityError:
            # Two requests renaming to the same name at once: the second loses the race.
            if "name" not in fields:
                raise
            raise ValidationError({"name": ["Survey with this Name already exists."]}) from None
        return Response(SurveyOutput(_surveys().get(pk=survey.pk)).data)


class ChangesSurveys(StaffModelPermissions):
    """Inviting changes the survey's audience: ``feedback.change_survey``."""

    perms_map = {**StaffModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


@extend_schema(request=InviteInput, responses={200: InviteOutput})
class SurveyInviteApi(generics.GenericAPIView):
    """Invite a segment or a list of customers now: how many were invited, and how many
    were skipped by reason (no such customer, no email, unsubscribed, address suppressed,
    invited to a survey recently)."""

    permission_classes = [ChangesSurveys]
    # JSON only: a form-encoded list of 10,000 customers would pass Django's limit of
    # fields (DATA_UPLOAD_MAX_NUMBER_FIELDS) and be refused outside the API's error format.
    parser_classes = [JSONParser]
    serializer_class = InviteOutput
    http_method_names = ["post", "options"]

    def get_queryset(self) -> QuerySet[Survey]:
        return Survey.objects.all()

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        survey = self.get_object()
        given = InviteInput(data=request.data)
        given.is_valid(raise_exception=True)
        unknown = 0
        if "segment" in given.validated_data:
            code = given.validated_data["segment"]
            outcome = service_written(
                lambda: survey_invite(survey_id=survey.pk, segment_code=code, actor=request.user),
                field_names={},
            )
        else:
            external_ids = set(given.validated_data["customers"])
            ids = list(
                Customer.objects.filter(external_id__in=external_ids).values_list("id", flat=True)
            )
            unknown = len(external_ids) - len(ids)
            outcome = service_written(
                lambda: survey_invite(survey_id=survey.pk, customer_ids=ids, actor=request.user),
                field_names={},
            )
        return Response(InviteOutput(_invite_answer(outcome, unknown)).data)


def _invite_answer(outcome: InviteOutcome, unknown: int) -> dict[str, Any]:
    skipped = {reason: outcome.skipped.get(reason, 0) for reason in SkipReason.values}
    skipped[SkipReason.UNKNOWN_CUSTOMER] += unknown
    return {"invited": outcome.invited, "skipped": skipped}


class NpsQuery(serializers.Serializer):
    """The period: days in the shop's time zone, both included; either may be left out."""

    start = serializers.CharField(required=False, max_length=10)
    end = serializers.CharField(required=False, max_length=10)

    def validate_start(self, value: str) -> date:
        return _day(value)

    def validate_end(self, value: str) -> date:
        return _day(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "start" in attrs and "end" in attrs and attrs["end"] < attrs["start"]:
            raise ValidationError({"end": ["Must not be before start."]})
        return attrs

    def period(self) -> Period:
        return Period(start=self.validated_data.get("start"), end=self.validated_data.get("end"))


def _day(value: str) -> date:
    try:
        return date_from_text(value)
    except InputValueError as exc:
        raise ValidationError(f"{str(exc).capitalize()}.") from None


@extend_schema(parameters=[NpsQuery])
class SurveyNpsApi(generics.GenericAPIView):
    """The survey's NPS, its responses by category and its response rate; with ``start``
    and/or ``end`` (YYYY-MM-DD), of the responses answered and the invitations sent in
    that period (the response rate: the share of those invitations answered)."""

    serializer_class = NpsOutput

    def get_queryset(self) -> QuerySet[Survey]:
        return Survey.objects.all()

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        survey = self.get_object()
        query = NpsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        figures = survey_nps(survey_id=survey.pk, period=query.period())
        score = figures.nps
        answer = {
            "nps": None if score is None else round(score, 1),
            "responses": figures.responses,
            "promoters": figures.promoters,
            "passives": figures.passives,
            "detractors": figures.detractors,
            "invitations": figures.invitations,
            "response_rate": figures.response_rate,
        }
        return Response(NpsOutput(answer).data)
