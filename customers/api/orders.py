"""A customer's orders with their lines."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from customers.api.shared import CUSTOMER_IN_PATH, ByIdCursor
from customers.models import Customer, Order, OrderLine


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
