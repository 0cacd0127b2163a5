"""API v1 routes of the customers app, under ``/api/v1/`` (clvcrm/urls.py)."""

from django.urls import path

from customers import api

urlpatterns = [
    path("customers/", api.CustomerListApi.as_view(), name="api-customer-list"),
    path(
        "customers/<str:external_id>/",
        api.CustomerDetailApi.as_view(),
        name="api-customer-detail",
    ),
    path(
        "customers/<str:external_id>/orders/",
        api.CustomerOrdersApi.as_view(),
        name="api-customer-orders",
    ),
    path(
        "customers/<str:external_id>/points/",
        api.CustomerPointsApi.as_view(),
        name="api-customer-points",
    ),
    path("segments/", api.SegmentListApi.as_view(), name="api-segment-list"),
    path(
        "segments/<str:code>/customers/",
        api.SegmentCustomersApi.as_view(),
        name="api-segment-customers",
    ),
    path("clv/runs/", api.ClvRunListApi.as_view(), name="api-clv-run-list"),
    path("clv/runs/latest/", api.ClvRunLatestApi.as_view(), name="api-clv-run-latest"),
]
