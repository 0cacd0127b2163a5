"""API v1 of the privacy requests: a customer's data exported, their personal data erased."""

from typing import Any

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clvcrm.core.permissions import staff_request
from clvcrm.workspace.privacy import customer_data_export, customer_erase
from customers.models import Customer

CUSTOMER_IN_PATH = OpenApiParameter(
    "external_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="Customer id."
)


def _holding(permission: str) -> type[BasePermission]:
    class Holding(BasePermission):
        def has_permission(self, request: Request, view: Any) -> bool:
            return staff_request(request) and request.user.has_perm(permission)

    return Holding


class ErasedOutput(serializers.Serializer):
    customer_id = serializers.IntegerField()
    erased_at = serializers.DateTimeField()
    already_erased = serializers.BooleanField(help_text="It had been erased before.")
    rows = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows changed, by table."
    )


class CustomerExportApi(APIView):
    """Every table that mentions the customer, with its rows (Admins)."""

    permission_classes = [_holding("customers.export_customer_data")]

    @extend_schema(
        parameters=[CUSTOMER_IN_PATH],
        responses={200: OpenApiTypes.OBJECT},
        summary="Export everything stored about a customer (a privacy request)",
    )
    def get(self, request: Request, external_id: str) -> Response:
        customer = get_object_or_404(Customer.objects.only("id"), external_id=external_id)
        assert isinstance(request.user, User)
        return Response(customer_data_export(customer.pk, actor=request.user))


class CustomerEraseApi(APIView):
    """Erase the customer's personal data; their orders and figures stay (Admins)."""

    permission_classes = [_holding("customers.erase_customer")]

    @extend_schema(
        parameters=[CUSTOMER_IN_PATH],
        request=None,
        responses={200: ErasedOutput},
        summary="Erase a customer's personal data (a privacy request)",
    )
    def post(self, request: Request, external_id: str) -> Response:
        customer = get_object_or_404(Customer.objects.only("id"), external_id=external_id)
        assert isinstance(request.user, User)
        erased = customer_erase(customer_id=customer.pk, actor=request.user)
        return Response(ErasedOutput(erased).data)
