"""The customers resource: the list (filtered) and one customer, read and written."""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from clvcrm.core.input_values import (
    InputValueError,
    day_within,
    float_from_text,
    number_for_field,
    text_within,
)
from clvcrm.core.model_fields import max_length, model_field
from customers.api.shared import ByIdCursor
from customers.models import AcquisitionChannel, Customer, CustomerScore, LoyaltyTier, Segment
from customers.order_import.rows import COUNTRY_CODES
from customers.services.customers import (
    CUSTOMER_DETAILS,
    CustomerConflictError,
    customer_create,
    customer_update,
)


class CustomerOutput(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code")
    channel = serializers.CharField(
        source="acquisition_channel.name", default=None, allow_null=True
    )
    segment = serializers.CharField(
        source="segment_assignment.segment.code",
        allow_null=True,
        read_only=True,
        help_text="The code of the customer's current segment.",
    )
    tier = serializers.CharField(
        source="loyalty.tier.name",
        allow_null=True,
        read_only=True,
        help_text="The name of the customer's loyalty tier.",
    )
    points_balance = serializers.SerializerMethodField()
    historical_clv = serializers.DecimalField(
        source="score.historical_clv",
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        read_only=True,
        help_text="Spent so far, as of the latest CLV run.",
    )
    predicted_clv = serializers.DecimalField(
        source="score.predicted_clv",
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        read_only=True,
    )
    p_alive = serializers.FloatField(source="score.p_alive", allow_null=True, read_only=True)
    expected_purchases_90d = serializers.FloatField(
        source="score.expected_purchases_90d", allow_null=True, read_only=True
    )
    rfm_score = serializers.CharField(source="score.rfm_score", allow_null=True, read_only=True)

    class Meta:
        model = Customer
        fields = [
            "external_id",
            "email",
            "first_name",
            "last_name",
            "country",
            "channel",
            "marketing_consent",
            "unsubscribed_at",
            "segment",
            "tier",
            "points_balance",
            "historical_clv",
            "predicted_clv",
            "p_alive",
            "expected_purchases_90d",
            "rfm_score",
            "phone",
            "acquired_on",
            "birthday",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.INT64)
    def get_points_balance(self, customer: Customer) -> int:
        balance = getattr(customer, "points_balance", None)
        return balance.balance if balance is not None else 0


class CustomerInput(serializers.ModelSerializer):
    """What a client may write of a customer; anything else sent (id, scores, segment, tier,
    points, unsubscribed_at, ...) is ignored. ``external_id`` is set on creation only."""

    external_id = serializers.CharField(
        max_length=max_length(Customer, "external_id"),
        help_text="The shop's id of the customer; on creation only (ignored in an update).",
    )
    email = serializers.EmailField(
        max_length=max_length(Customer, "email"), allow_blank=True, required=False
    )
    country = serializers.CharField(
        max_length=2,
        allow_blank=True,
        required=False,
        help_text="ISO 3166 alpha-2 code, e.g. DE (any case); empty for none.",
    )
    channel = serializers.CharField(
        max_length=max_length(AcquisitionChannel, "name"),
        allow_blank=True,
        allow_null=True,
        required=False,
        help_text="Acquisition channel by name (made if new); empty or null for none.",
    )
    birthday = serializers.DateField(allow_null=True, required=False)

    class Meta:
        model = Customer
        # The customer's id, then what the service lets a client write (nothing computed).
        fields = ["external_id", *CUSTOMER_DETAILS]
        extra_kwargs = {
            "first_name": {"required": False},
            "last_name": {"required": False},
            "phone": {"required": False},
            "marketing_consent": {"required": False},
        }

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:  # an update: the id is the address, never changed
            fields["external_id"].read_only = True
        return fields

    def validate_external_id(self, value: str) -> str:
        return text_checked(value, Customer, "external_id")

    def validate_country(self, value: str) -> str:
        code = value.upper()
        if code and code not in COUNTRY_CODES:
            raise ValidationError("Unknown country code (expected ISO 3166 alpha-2, like DE).")
        return code

    def validate_channel(self, value: str | None) -> str:
        return value or ""

    def validate_birthday(self, value: date | None) -> date | None:
        if value is None:
            return None
        try:
            return day_within(value)
        except InputValueError as exc:
            raise ValidationError(str(exc)) from exc


def text_checked(value: str, model: Any, name: str) -> str:
    try:
        return text_within(value, max_length=max_length(model, name))
    except InputValueError as exc:
        raise ValidationError(str(exc)) from exc


def customers_with_scores() -> QuerySet[Customer]:
    """Customers with everything :class:`CustomerOutput` shows, in one query."""
    return Customer.objects.select_related(
        "acquisition_channel",
        "score",
        "segment_assignment__segment",
        "loyalty__tier",
        "points_balance",
    )


def _text(model: Any, name: str) -> Callable[[str], str]:
    return lambda value: text_within(value, max_length=max_length(model, name))


def _number(model: Any, name: str) -> Callable[[str], Any]:
    return lambda value: number_for_field(value, model_field(model, name))


# Query parameter -> (how its value is read, the lookup it filters on, what it means).
CUSTOMER_FILTERS: dict[str, tuple[Callable[[str], Any], str, str]] = {
    "segment": (_text(Segment, "code"), "segment_assignment__segment__code", "Segment code."),
    "tier": (_text(LoyaltyTier, "name"), "loyalty__tier__name", "Loyalty tier name."),
    "predicted_clv_min": (
        _number(CustomerScore, "predicted_clv"),
        "score__predicted_clv__gte",
        "Predicted CLV at least this.",
    ),
    "predicted_clv_max": (
        _number(CustomerScore, "predicted_clv"),
        "score__predicted_clv__lte",
        "Predicted CLV at most this.",
    ),
    "p_alive_min": (
        lambda value: float_from_text(value, minimum=0.0, maximum=1.0),
        "score__p_alive__gte",
        "Probability of being alive at least this (0 to 1).",
    ),
    "country": (
        lambda value: text_within(value, max_length=2).upper(),
        "country",
        "ISO 3166 country code, e.g. DE.",
    ),
    "channel": (
        _text(AcquisitionChannel, "name"),
        "acquisition_channel__name",
        "Acquisition channel name.",
    ),
}
FILTER_PARAMETERS = [
    OpenApiParameter(
        name,
        OpenApiTypes.NUMBER if lookup.startswith("score__") else OpenApiTypes.STR,
        description=description,
    )
    for name, (_, lookup, description) in CUSTOMER_FILTERS.items()
]


def customer_filters(params: Any) -> dict[str, Any]:
    """The lookups of the filters in the query ``params``; a value that cannot be used is a
    400 naming its parameter. An empty value means "any"."""
    lookups: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, (read, lookup, _) in CUSTOMER_FILTERS.items():
        text = params.get(name, "")
        if text == "":
            continue
        try:
            value = read(text)
        except InputValueError as exc:
            errors[name] = [str(exc)]
            continue
        lookups[lookup] = value
    if errors:
        raise ValidationError(errors)
    return lookups


def _customer_written(write: Callable[[], Customer]) -> Customer:
    try:
        return write()
    except CustomerConflictError as exc:
        raise ValidationError({exc.field: [str(exc)]}) from exc


def _customer_read(customer: Customer, status: int) -> Response:
    fresh = customers_with_scores().get(pk=customer.pk)
    return Response(CustomerOutput(fresh).data, status=status)


@extend_schema_view(
    get=extend_schema(parameters=FILTER_PARAMETERS),
    post=extend_schema(request=CustomerInput),
)
class CustomerListApi(generics.ListCreateAPIView):
    """Customers, newest first, cursor-paginated (stays fast at any depth), with filters;
    POST creates one (Admin)."""

    serializer_class = CustomerOutput
    pagination_class = ByIdCursor

    def get_queryset(self) -> QuerySet[Customer]:
        return customers_with_scores()

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Here, not in get_queryset: the permission check builds that one, and a user without
        # the permission gets a 403 whatever the filters say.
        return queryset.filter(**customer_filters(self.request.query_params))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = CustomerInput(data=request.data)
        given.is_valid(raise_exception=True)
        details = dict(given.validated_data)
        customer = _customer_written(lambda: customer_create(**details))
        return _customer_read(customer, status=201)


@extend_schema_view(
    patch=extend_schema(request=CustomerInput),
)
class CustomerDetailApi(generics.RetrieveUpdateAPIView):
    """A customer; PATCH changes the details sent (Admin, Support)."""

    serializer_class = CustomerOutput
    lookup_field = "external_id"
    lookup_url_kwarg = "external_id"
    # No PUT: every detail is optional, so a whole replacement would mean nothing more.
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Customer]:
        return customers_with_scores()

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_object()
        given = CustomerInput(customer, data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        details = dict(given.validated_data)
        written = _customer_written(
            lambda: customer_update(customer=customer, actor=request.user, **details)
        )
        return _customer_read(written, status=200)
