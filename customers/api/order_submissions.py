"""POST /api/v1/orders/: one order or a list of up to 1,000, imported as a file would be.

The body's shape is checked here (:mod:`clvcrm.core.api_shapes`, read from the serializers
that document it); every value is the order import's to judge, in its words, through the
same code path as an uploaded file (``customers.order_import.submitted``). Each order
stands alone: the valid ones go in, each invalid one gets its errors with its index.
"""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from clvcrm.core import idempotency
from clvcrm.core.api_schema import ApiError, Errors
from clvcrm.core.api_shapes import CellField, FlagCellField, Shape, cell_ok
from clvcrm.core.idempotency import idempotent_write
from clvcrm.core.permissions import ImportsOrders
from customers.models import Order
from customers.order_import.rows import cell_text
from customers.order_import.submitted import ItemReport, Outcome, Submission
from customers.services import order_imports

MAX_ORDERS = 1000
MAX_LINES = 1000
WHAT_TO_SEND = f"Send one order object or a list of 1 to {MAX_ORDERS:,} of them."


class OrderLineInput(serializers.Serializer):
    sku = CellField(help_text="The product's id in the shop.")
    product_name = CellField(required=False)
    category = CellField(required=False)
    quantity = CellField(required=False, help_text="A whole number; 1 when left out.")
    unit_price = CellField(help_text="The price of one, in the shop currency.")


class OrderCustomerInput(serializers.Serializer):
    external_id = CellField(help_text="The customer's id in the shop.")
    email = CellField(required=False)
    first_name = CellField(required=False)
    last_name = CellField(required=False)
    country = CellField(required=False, help_text="ISO 3166 alpha-2, like DE.")
    channel = CellField(required=False, help_text="The acquisition channel's name.")
    marketing_consent = FlagCellField(required=False)


class OrderInput(serializers.Serializer):
    """An order as the CSV import reads it, as JSON (README "Importing orders")."""

    external_id = CellField(help_text="The order's id in the shop: sending it again is safe.")
    customer = OrderCustomerInput()
    placed_at = CellField(help_text="ISO 8601, with an offset (else the shop's time zone).")
    total = CellField(help_text="The order's total; with lines, they must add up to it or less.")
    refunded_amount = CellField(required=False)
    currency = CellField(required=False, help_text="ISO 4217; the shop currency when left out.")
    status = CellField(required=False, help_text="completed (default), refunded or cancelled.")
    lines: serializers.ListSerializer = serializers.ListSerializer(
        child=OrderLineInput(), required=False, allow_null=True, max_length=MAX_LINES
    )


ORDER_SHAPE = Shape.of(OrderInput)


class OrderOutcomeOutput(serializers.Serializer):
    index = serializers.IntegerField(help_text="The order's place in the list sent (0 for one).")
    external_id = serializers.CharField(allow_null=True)
    outcome = serializers.ChoiceField(
        [Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.REJECTED],
        help_text="updated: its status or refunded amount changed; unchanged: imported before.",
    )


class OrdersPostedOutput(serializers.Serializer):
    orders = OrderOutcomeOutput(many=True)
    errors = ApiError(many=True, help_text="Why each rejected order was rejected.")  # type: ignore[assignment]  # a declared field
    warnings = ApiError(many=True, help_text="What the import changed or chose, and why.")


class OrdersRefusedOutput(Errors):
    orders = OrderOutcomeOutput(many=True, required=False)
    warnings = ApiError(many=True, required=False)


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


@extend_schema(
    request=PolymorphicProxySerializer(
        component_name="OrdersInput",
        serializers=[OrderInput, OrderInput(many=True)],
        resource_type_field_name=None,
        many=False,
    ),
    parameters=[idempotency.SCHEMA_PARAMETER],
    responses={
        "201": OpenApiResponse(OrdersPostedOutput, description="At least one order created."),
        "200": OpenApiResponse(OrdersPostedOutput, description="No order created."),
        "400": OpenApiResponse(
            OrdersRefusedOutput, description="Every order was rejected, or the body is not orders."
        ),
        "413": OpenApiResponse(Errors, description="The body is larger than the limit."),
        "422": OpenApiResponse(Errors, description="The Idempotency-Key came with another body."),
    },
)
class OrdersApi(generics.GenericAPIView):
    """Import orders: one order object, or a list of up to 1,000.

    Each order is validated and written as the CSV import does it, alone: the valid ones
    go in, each invalid one is listed in ``errors`` with its index. Sending an order again
    changes only its status and refunded amount, as importing it again would.
    """

    permission_classes = [ImportsOrders]
    parser_classes = [JSONParser]
    queryset = Order.objects.none()
    serializer_class = OrderInput  # what OPTIONS describes

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0  # Django then reads no body: DRF answers that it is missing
        if length > settings.ORDERS_API_MAX_BODY_BYTES:
            limit = settings.ORDERS_API_MAX_BODY_BYTES
            raise BodyTooLarge(f"the body is larger than {limit:,} bytes; send fewer orders")
        return idempotent_write(request, lambda: self._submit(request.data))

    def _submit(self, body: Any) -> Response:
        orders = [body] if isinstance(body, dict) else body
        if not isinstance(orders, list) or not 0 < len(orders) <= MAX_ORDERS:
            raise ValidationError(WHAT_TO_SEND)
        refused = {index: ORDER_SHAPE.problems(item) for index, item in enumerate(orders)}
        refused = {index: problems for index, problems in refused.items() if problems}
        submission = order_imports.orders_submit(orders=orders, refused=refused.keys())
        errors = [
            ItemReport(index, p.field or "", p.code, p.message)
            for index, problems in refused.items()
            for p in problems
        ]
        return _answer(orders, submission, errors)


def _answer(orders: list[Any], submission: Submission, refused: list[ItemReport]) -> Response:
    outcomes = [
        {
            "index": index,
            "external_id": _external_id(order),
            # Every order has one (the import rejects what it does not write); not to fail.
            "outcome": submission.outcomes.get(index, Outcome.REJECTED),
        }
        for index, order in enumerate(orders)
    ]
    errors = sorted([*refused, *submission.errors], key=lambda e: e.index)
    body = {
        "orders": outcomes,
        "errors": [_report(e) for e in errors],
        "warnings": [_report(w) for w in submission.warnings],
    }
    if all(o["outcome"] == Outcome.REJECTED for o in outcomes):
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    created = any(o["outcome"] == Outcome.CREATED for o in outcomes)
    return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _external_id(order: Any) -> str | None:
    """The order's id as the answer echoes it; none for an id no order can have (a NUL
    character: PostgreSQL's text and JSON, where the answer is kept for its Idempotency-Key,
    cannot hold one)."""
    value = order.get("external_id") if isinstance(order, dict) else None
    text = cell_text(value) if cell_ok(value) else ""
    return text if text and "\x00" not in text else None


def _report(report: ItemReport) -> dict[str, Any]:
    return {
        "index": report.index,
        "field": report.field or None,
        "code": report.code,
        "message": report.message,
    }
