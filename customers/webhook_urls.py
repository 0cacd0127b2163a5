"""Shop webhooks, under ``/api/v1/webhooks/`` (``customers.views.webhooks``)."""

from django.urls import path

from customers.views import webhooks

urlpatterns = [
    path("shopify/", webhooks.shopify_webhook, name="webhook-shopify"),
    path("woocommerce/", webhooks.woocommerce_webhook, name="webhook-woocommerce"),
]
