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
]
