"""Marketing spend: listed by month, and upserted as a list of ``{month, channel, amount}``.

A POST is all or nothing: if any item is wrong, the answer lists every error with its item's
index and field, and nothing is written; the client sends the corrected list again. Sending
the same list twice changes nothing the second time (the amounts are upserted per month and
channel), so a retry needs no idempotency key.
"""

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from clvcrm.core.api_pagination import CheckedCursorPagination
from clvcrm.core.api_schema import Errors
from clvcrm.core.input_values import InputValueError, text_within
from clvcrm.core.model_fields import max_length
from clvcrm.core.permissions import StaffModelPermissions
from customers.marketing.selectors import spend_listed
from customers.marketing.values import (
    ChannelNames,
    SpendEntry,
    amount_from_text,
    month_from_text,
)
from customers.models import AcquisitionChannel, MarketingSpend
from customers.services.marketing import marketing_spend_save

MAX_ITEMS = 1000
WHAT_TO_SEND = f"Send a list of 1 to {MAX_ITEMS:,} objects {{month, channel, amount}}."
EXPECTED_TEXT = "Expected a string."
EXPECTED_AMOUNT = "Expected a number or a string like 1200.50."


class WritesMarketingSpend(StaffModelPermissions):
    """Reading needs the view permission; an upsert both adds and changes (Marketing,
    Admin)."""

    perms_map = {
        **StaffModelPermissions.perms_map,
        "POST": ["%(app_label)s.add_%(model_name)s", "%(app_label)s.change_%(model_name)s"],
    }


class ByMonthCursor(CheckedCursorPagination):
    ordering = ("month", "id")


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$"})
class MonthField(serializers.Field):
    """A month as ``YYYY-MM``."""

    def to_representation(self, value: date) -> str:
        return f"{value:%Y-%m}"


class MarketingSpendOutput(serializers.ModelSerializer):
    month = MonthField()
    channel = serializers.CharField(source="channel.name")
    updated_by = serializers.CharField(
        source="updated_by.username", allow_null=True, default=None, help_text="Who entered it."
    )

    class Meta:
        model = MarketingSpend
        fields = ["month", "channel", "amount", "updated_at", "updated_by"]


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"}]})
class AmountField(serializers.Field):
    """An amount as a JSON number or a string (``"1200.50"`` keeps every cent exact)."""


class MarketingSpendInput(serializers.Serializer):
    """One month's spend on one channel (the body is a list of these)."""

    month = serializers.CharField(help_text="YYYY-MM, like 2025-03.")
    channel = serializers.CharField(
        help_text="The acquisition channel's name (as it exists; any case if unambiguous)."
    )
    amount = AmountField(help_text="In the shop currency: at least 0, at most 2 decimals.")


class SpendWrittenOutput(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField(help_text="Sent with the amount already stored.")
    results = MarketingSpendInput(many=True, help_text="The items as stored.")


def _month_parameter(params: Any, name: str, errors: dict[str, list[str]]) -> date | None:
    text = params.get(name, "")
    if text == "":
        return None
    try:
        return month_from_text(text_within(text))
    except InputValueError as exc:
        errors[name] = [str(exc)]
        return None


FILTERS = [
    OpenApiParameter("start", OpenApiTypes.STR, description="The first month, YYYY-MM."),
    OpenApiParameter("end", OpenApiTypes.STR, description="The last month, YYYY-MM (included)."),
    OpenApiParameter("channel", OpenApiTypes.STR, description="Acquisition channel name."),
]


@extend_schema(methods=["GET"], parameters=FILTERS)
@extend_schema(
    methods=["POST"],
    request=MarketingSpendInput(many=True),
    responses={
        "201": OpenApiResponse(SpendWrittenOutput, description="At least one new month."),
        "200": OpenApiResponse(SpendWrittenOutput, description="Amounts changed or kept."),
        "400": OpenApiResponse(
            Errors, description="Nothing written: each error names its item's index and field."
        ),
    },
)
class MarketingSpendApi(generics.ListAPIView):
    """Marketing spend per month and channel, oldest month first, filtered by months and
    channel; POST upserts a list of ``{month, channel, amount}`` (Marketing, Admin)."""

    serializer_class = MarketingSpendOutput
    pagination_class = ByMonthCursor
    permission_classes = [WritesMarketingSpend]
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[MarketingSpend]:
        return MarketingSpend.objects.all()  # the permission check's model; the rows: list()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        errors: dict[str, list[str]] = {}
        start = _month_parameter(request.query_params, "start", errors)
        end = _month_parameter(request.query_params, "end", errors)
        channel = request.query_params.get("channel", "")
        try:
            text_within(channel, max_length=max_length(AcquisitionChannel, "name"))
        except InputValueError as exc:
            errors["channel"] = [str(exc)]
        if start is not None and end is not None and end < start:
            errors["end"] = ["before the start"]
        if errors:
            raise ValidationError(errors)
        rows = spend_listed(start=start, end=end, channel=channel or None)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        items = request.data
        if not isinstance(items, list) or not 0 < len(items) <= MAX_ITEMS:
            raise ValidationError(WHAT_TO_SEND)
        channels = ChannelNames()
        entries = _entries(items, channels)
        user = request.user if isinstance(request.user, User) else None
        written = marketing_spend_save(entries=entries, user=user)
        body = {
            "created": written.created,
            "updated": written.updated,
            "unchanged": written.unchanged,
            "results": [
                {
                    "month": f"{entry.month:%Y-%m}",
                    "channel": channels.name_of[entry.channel_id],
                    "amount": f"{entry.amount}",
                }
                for entry in entries
            ],
        }
        answer = status.HTTP_201_CREATED if written.created else status.HTTP_200_OK
        return Response(body, status=answer)


def _entries(items: list[Any], channels: ChannelNames) -> list[SpendEntry]:
    """Every item read; a 400 listing each item's errors if any item is wrong."""
    entries: list[SpendEntry | None] = []
    problems: list[dict[str, list[str]]] = []
    for item in items:
        entry, errors = _entry(item, channels)
        entries.append(entry)
        problems.append(errors)
    _duplicates(entries, problems)
    if any(problems):
        raise ValidationError(problems)
    return [entry for entry in entries if entry is not None]


def _entry(item: Any, channels: ChannelNames) -> tuple[SpendEntry | None, dict[str, list[str]]]:
    if not isinstance(item, dict):
        return None, {"non_field_errors": ["Expected an object {month, channel, amount}."]}
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    readers = {"month": month_from_text, "channel": channels.channel_id, "amount": amount_from_text}
    for name, read in readers.items():
        if name not in item:
            errors[name] = ["This field is required."]
            continue
        value = item[name]
        text = _text(value, number_allowed=name == "amount")
        if text is None:
            errors[name] = [EXPECTED_AMOUNT if name == "amount" else EXPECTED_TEXT]
            continue
        try:
            values[name] = read(text)
        except InputValueError as exc:
            errors[name] = [str(exc)]
    if errors:
        return None, errors
    return SpendEntry(values["month"], values["channel"], values["amount"]), {}


def _text(value: Any, *, number_allowed: bool) -> str | None:
    if isinstance(value, str):
        return value
    if number_allowed and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _duplicates(entries: list[SpendEntry | None], problems: list[dict[str, list[str]]]) -> None:
    first: dict[tuple[date, int], int] = {}
    for index, entry in enumerate(entries):
        if entry is None:
            continue
        key = (entry.month, entry.channel_id)
        if key in first:
            problems[index].setdefault("month", []).append(
                f"the same month and channel as item {first[key]}: one amount each"
            )
        else:
            first[key] = index
