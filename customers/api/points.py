"""A customer's points: the balance and ledger, redemptions and adjustments."""

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from clvcrm.core.permissions import ChangesPoints
from customers.api.shared import CUSTOMER_IN_PATH, ByIdCursor
from customers.loyalty.ledger import MAX_POINTS, REASON_LENGTH, PointsError
from customers.models import Customer, PointsBalance, PointsEntry
from customers.services.loyalty import POINTS_CHANGES


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
        change = POINTS_CHANGES[data["action"]]
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
