"""API v1 for customers and their orders (DRF: thin views, explicit output serializers).

The JSON shapes are a contract (README "API"): fields may be added, never renamed. Every
list is cursor-paginated, newest first; a customer's scores, segment, tier and points come
from the same query as the customer (no query per row).
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from clvcrm.core.api_pagination import CheckedCursorPagination
from clvcrm.core.input_values import (
    InputValueError,
    day_within,
    float_from_text,
    number_for_field,
    text_within,
)
from clvcrm.core.model_fields import max_length, model_field
from clvcrm.core.permissions import ChangesPoints, ReadsCustomers
from customers import services
from customers.clv_runs.selectors import clv_run_as_json, clv_run_latest_succeeded
from customers.loyalty.ledger import MAX_POINTS, REASON_LENGTH, PointsError
from customers.models import (
    AcquisitionChannel,
    ClvRun,
    Customer,
    CustomerScore,
    LoyaltyTier,
    Order,
    OrderLine,
    PointsBalance,
    PointsEntry,
    Segment,
)
from customers.order_import.rows import COUNTRY_CODES
from customers.segments.selectors import (
    SegmentRow,
    reassignment_latest,
    segment_members,
    segments_overview,
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
        fields = [
            "external_id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "country",
            "channel",
            "marketing_consent",
            "birthday",
        ]
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


class OrderCustomerOutput(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["external_id", "email", "first_name", "last_name"]


class OrderLineOutput(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")
    product_name = serializers.CharField(source="product.name")
    category = serializers.CharField(source="product.category")

    class Meta:
        model = OrderLine
        fields = [
            "sku",
            "product_name",
            "category",
            "quantity",
            "unit_price",
            "line_number",
            "amount",
        ]


class OrderOutput(serializers.ModelSerializer):
    customer = OrderCustomerOutput()
    lines = OrderLineOutput(many=True)

    class Meta:
        model = Order
        fields = [
            "external_id",
            "customer",
            "placed_at",
            "total",
            "refunded_amount",
            "currency",
            "status",
            "lines",
        ]


class ByIdCursor(CheckedCursorPagination):
    ordering = "-id"


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
    except services.CustomerConflictError as exc:
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
        customer = _customer_written(lambda: services.customer_create(**details))
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
        written = _customer_written(lambda: services.customer_update(customer=customer, **details))
        return _customer_read(written, status=200)


# The customer an address names (``customers/{external_id}/...``), for the schema.
CUSTOMER_IN_PATH = OpenApiParameter(
    "external_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="Customer id."
)


@extend_schema(parameters=[CUSTOMER_IN_PATH])
class CustomerOrdersApi(generics.ListAPIView):
    """A customer's orders with their lines, newest first."""

    serializer_class = OrderOutput
    pagination_class = ByIdCursor

    def get_queryset(self) -> QuerySet[Order]:
        # Lazy, reading nothing: the permission check builds it to learn the model before
        # the customer is looked up, so a user without the permission learns nothing of
        # which customers exist (a 403 either way).
        lines = OrderLine.objects.select_related("product")
        return (
            Order.objects.filter(customer__external_id=self.kwargs["external_id"])
            .select_related("customer")
            .prefetch_related(Prefetch("lines", queryset=lines))
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The page of orders; an unknown customer is a 404, not an empty list."""
        get_object_or_404(Customer.objects.only("pk"), external_id=self.kwargs["external_id"])
        return super().list(request, *args, **kwargs)


# ---------------------------------------------------------------- segments


class SegmentOutput(serializers.Serializer):
    """A segment with its figures after the latest segmented run (``null``: none yet)."""

    code = serializers.CharField(source="segment.code")
    name = serializers.CharField(source="segment.name")
    kind = serializers.ChoiceField(source="segment.kind", choices=Segment.Kind.choices)
    size = serializers.IntegerField(
        source="statistic.customers",
        allow_null=True,
        default=None,
        help_text="Customers in it after the latest segmented CLV run.",
    )
    total_predicted_clv = serializers.DecimalField(
        source="statistic.total_predicted_clv",
        max_digits=18,
        decimal_places=2,
        allow_null=True,
        default=None,
    )
    average_predicted_clv = serializers.DecimalField(
        source="statistic.average_predicted_clv",
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        default=None,
    )


class SegmentListApi(generics.ListAPIView):
    """Every segment, default ones first (in priority order), then custom ones; not paged
    (there are few), as the segments page shows them."""

    serializer_class = SegmentOutput
    pagination_class = None

    def get_queryset(self) -> QuerySet[Segment]:
        return Segment.objects.all()  # the permission check's model; the rows: list()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows: list[SegmentRow] = segments_overview(reassignment_latest())
        return Response(self.get_serializer(rows, many=True).data)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="Segment code."
        )
    ]
)
class SegmentCustomersApi(generics.ListAPIView):
    """The customers of a segment (default or custom), newest first; an unknown code is a 404."""

    serializer_class = CustomerOutput
    pagination_class = ByIdCursor

    def get_queryset(self) -> QuerySet[Customer]:
        # Lazy: the permission check builds it before the segment is looked up.
        return customers_with_scores()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        segment = Segment.objects.filter(code=self.kwargs["code"]).first()
        if segment is None:
            raise NotFound("No segment has this code.")
        members = segment_members(segment).select_related(
            "acquisition_channel", "segment_assignment__segment", "loyalty__tier", "points_balance"
        )
        page = self.paginate_queryset(members)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# ---------------------------------------------------------------- CLV runs


class ClvRunOutput(serializers.Serializer):
    """A CLV run as ``manage.py recalculate_clv --json`` prints it (one function makes both)."""

    id = serializers.IntegerField()
    as_of = serializers.DateField()
    customers = serializers.IntegerField()
    repeat_customers = serializers.IntegerField()
    model = serializers.CharField()
    time_unit = serializers.CharField()
    bgnbd = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="r, alpha, a, b."
    )
    gamma_gamma = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="p, q, gamma."
    )
    log_likelihood = serializers.FloatField(allow_null=True)
    gamma_gamma_log_likelihood = serializers.FloatField(allow_null=True)
    prediction_skipped = serializers.CharField()
    seconds = serializers.DictField(child=serializers.FloatField(), help_text="Seconds per stage.")

    def to_representation(self, instance: ClvRun) -> dict[str, Any]:
        return clv_run_as_json(instance)


class ClvRunListOutput(ClvRunOutput):
    """A run of the list: the ``--json`` object with its status and moments."""

    status = serializers.ChoiceField(choices=ClvRun.Status.choices)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()

    def to_representation(self, instance: ClvRun) -> dict[str, Any]:
        return {
            **clv_run_as_json(instance),
            "status": instance.status,
            "created_at": serializers.DateTimeField().to_representation(instance.created_at),
            "finished_at": serializers.DateTimeField().to_representation(instance.finished_at)
            if instance.finished_at is not None
            else None,
            "error": instance.error,
        }


class ClvRunListApi(generics.ListAPIView):
    """CLV runs, whatever their outcome, newest first (as the model page needs: view customers)."""

    serializer_class = ClvRunListOutput
    pagination_class = ByIdCursor
    permission_classes = [ReadsCustomers]
    queryset = ClvRun.objects.all()


class ClvRunLatestApi(generics.GenericAPIView):
    """The latest successful run (the one the customers' scores come from); 404 before any."""

    serializer_class = ClvRunOutput
    permission_classes = [ReadsCustomers]
    pagination_class = None
    queryset = ClvRun.objects.all()  # the model whose permission a write needs (then: 405)

    def get(self, request: Request) -> Response:
        run = clv_run_latest_succeeded()
        if run is None:
            raise NotFound("No CLV run has succeeded yet.")
        return Response(self.get_serializer(run).data)


# ---------------------------------------------------------------- points


class PointsEntryOutput(serializers.ModelSerializer):
    order = serializers.CharField(
        source="order.external_id",
        allow_null=True,
        default=None,
        help_text="The order an earning or reversal is about.",
    )

    class Meta:
        model = PointsEntry
        fields = ["id", "kind", "points", "order", "reason", "created_at", "expires_at"]


class PointsChangeInput(serializers.Serializer):
    """Redeem (a positive number taken off) or adjust (signed) points, with a reason: the
    rules of the customer page's loyalty card."""

    action = serializers.ChoiceField(choices=[("redeem", "Redeem"), ("adjust", "Adjust")])
    points = serializers.IntegerField(min_value=-MAX_POINTS, max_value=MAX_POINTS)
    reason = serializers.CharField(max_length=REASON_LENGTH)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["action"] == "redeem" and attrs["points"] <= 0:
            raise ValidationError(
                {"points": ["Enter how many points to redeem (a positive number)."]}
            )
        if attrs["action"] == "adjust" and attrs["points"] == 0:
            raise ValidationError({"points": ["An adjustment of 0 points changes nothing."]})
        return attrs


class PointsChangeOutput(serializers.Serializer):
    entry = PointsEntryOutput()
    balance = serializers.IntegerField(help_text="The balance after the change.")


class PointsCursor(ByIdCursor):
    """The ledger's page, with the customer's balance beside it."""

    balance = 0

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data = {"balance": self.balance, **response.data}
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paged = super().get_paginated_response_schema(schema)
        paged["properties"] = {
            "balance": {"type": "integer", "format": "int64", "example": 1200},
            **paged["properties"],
        }
        paged["required"] = ["balance", *paged.get("required", ["results"])]
        return paged


POINTS_PERMISSIONS = {"redeem": "customers.redeem_points", "adjust": "customers.adjust_points"}


def _balance_of(customer: Customer) -> int:
    balance = getattr(customer, "points_balance", None)
    return balance.balance if balance is not None else 0


@extend_schema_view(
    post=extend_schema(request=PointsChangeInput),
)
@extend_schema(parameters=[CUSTOMER_IN_PATH])
class CustomerPointsApi(generics.ListCreateAPIView):
    """A customer's points balance and ledger, newest line first; POST redeems or adjusts
    (the roles of the customer page: Support and Admin)."""

    serializer_class = PointsEntryOutput
    pagination_class = PointsCursor
    permission_classes = [ChangesPoints]

    def get_queryset(self) -> QuerySet[PointsEntry]:
        # Lazy: the permission check builds it before the customer is looked up.
        return PointsEntry.objects.filter(
            customer__external_id=self.kwargs["external_id"]
        ).select_related("order")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return PointsChangeOutput if self.request.method == "POST" else PointsEntryOutput

    def _customer(self) -> Customer:
        return get_object_or_404(
            Customer.objects.select_related("points_balance"),
            external_id=self.kwargs["external_id"],
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        customer = self._customer()
        paginator = self.paginator
        assert isinstance(paginator, PointsCursor)
        paginator.balance = _balance_of(customer)
        entries = PointsEntry.objects.filter(customer=customer).select_related("order")
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        customer = self._customer()
        given = PointsChangeInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        if not request.user.has_perm(POINTS_PERMISSIONS[data["action"]]):
            raise PermissionDenied
        change = services.points_redeem if data["action"] == "redeem" else services.points_adjust
        try:
            entry = change(
                customer=customer,
                points=data["points"],
                reason=data["reason"],
                staff=request.user if isinstance(request.user, User) else None,
            )
        except PointsError as exc:
            raise ValidationError({"points": [str(exc)]}) from exc
        balance = PointsBalance.objects.get(customer=customer).balance
        return Response(PointsChangeOutput({"entry": entry, "balance": balance}).data, status=201)
