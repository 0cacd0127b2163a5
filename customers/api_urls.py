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
