"""Read API for customers and their orders (DRF, thin views, output serializers)."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from clvcrm.core.api_pagination import CheckedCursorPagination
from customers.models import Customer, Order, OrderLine


class CustomerOutput(serializers.ModelSerializer):
    acquisition_channel = serializers.CharField(source="acquisition_channel.name", default=None)
    country = serializers.CharField(source="country.code")

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "country",
            "acquisition_channel",
            "acquired_on",
            "marketing_consent",
            "unsubscribed_at",
            "birthday",
            "created_at",
            "updated_at",
        ]


class OrderLineOutput(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")
    product_name = serializers.CharField(source="product.name")

    class Meta:
        model = OrderLine
        fields = ["line_number", "sku", "product_name", "quantity", "unit_price", "amount"]


class OrderOutput(serializers.ModelSerializer):
    lines = OrderLineOutput(many=True)

    class Meta:
        model = Order
        fields = ["id", "external_id", "placed_at", "status", "total", "currency", "lines"]


class ByIdCursor(CheckedCursorPagination):
    ordering = "-id"


class CustomerListApi(generics.ListAPIView):
    """Customers, newest first, cursor-paginated (stays fast at any depth)."""

    serializer_class = CustomerOutput
    pagination_class = ByIdCursor
    queryset = Customer.objects.select_related("acquisition_channel")


class CustomerDetailApi(generics.RetrieveAPIView):
    serializer_class = CustomerOutput
    queryset = Customer.objects.select_related("acquisition_channel")
    lookup_field = "external_id"
    lookup_url_kwarg = "external_id"


class CustomerOrdersApi(generics.ListAPIView):
    """A customer's orders with their lines, newest first."""

    serializer_class = OrderOutput
    pagination_class = ByIdCursor

    def get_queryset(self) -> QuerySet[Order]:
        # Lazy, reading nothing: the permission check builds it to learn the model before
        # the customer is looked up, so a user without the permission learns nothing of
        # which customers exist (a 403 either way).
        lines = OrderLine.objects.select_related("product")
        return Order.objects.filter(
            customer__external_id=self.kwargs["external_id"]
        ).prefetch_related(Prefetch("lines", queryset=lines))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The page of orders; an unknown customer is a 404, not an empty list."""
        get_object_or_404(Customer.objects.only("pk"), external_id=self.kwargs["external_id"])
        return super().list(request, *args, **kwargs)
