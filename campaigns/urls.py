"""The staff pages of campaigns."""

from django.urls import URLPattern, path

from campaigns.views import previews

app_name = "campaigns"

urlpatterns: list[URLPattern] = [
    path("variants/<int:pk>/preview/", previews.variant_preview, name="variant-preview"),
    path("variants/<int:pk>/test/", previews.variant_test_send, name="variant-test-send"),
]
