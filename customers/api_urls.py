"""API v1 routes of the customers app, under ``/api/v1/`` (clvcrm/urls.py)."""

from django.urls import path

from customers.api import (
    clv_runs,
    customers,
    marketing_spend,
    order_submissions,
    orders,
    points,
    segments,
)

urlpatterns = [
    path("customers/", customers.CustomerListApi.as_view(), name="api-customer-list"),
    path(
        "customers/<str:external_id>/",
        customers.CustomerDetailApi.as_view(),
        name="api-customer-detail",
    ),
    path(
        "customers/<str:external_id>/orders/",
        orders.CustomerOrdersApi.as_view(),
        name="api-customer-orders",
    ),
    path(
        "customers/<str:external_id>/points/",
        points.CustomerPointsApi.as_view(),
        name="api-customer-points",
    ),
    path("orders/", order_submissions.OrdersApi.as_view(), name="api-orders"),
    path("segments/", segments.SegmentListApi.as_view(), name="api-segment-list"),
    path(
        "segments/<str:code>/customers/",
        segments.SegmentCustomersApi.as_view(),
        name="api-segment-customers",
    ),
    path("clv/runs/", clv_runs.ClvRunListApi.as_view(), name="api-clv-run-list"),
    path("clv/runs/latest/", clv_runs.ClvRunLatestApi.as_view(), name="api-clv-run-latest"),
    path(
        "marketing-spend/",
        marketing_spend.MarketingSpendApi.as_view(),
        name="api-marketing-spend",
    ),
]
