"""The segments with their figures, and a segment's customers."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from customers.api.customers import CustomerOutput, customers_with_scores
from customers.api.shared import ByIdCursor
from customers.models import Customer, Segment
from customers.segments.selectors import (
    SegmentRow,
    reassignment_latest,
    segment_members,
    segments_overview,
)


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
