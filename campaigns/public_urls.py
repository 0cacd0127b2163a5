"""The addresses in sent emails (no login): the open pixel, click-through links and the
unsubscribe page with its one-click POST."""

from django.urls import URLPattern

app_name = "campaign-links"

urlpatterns: list[URLPattern] = []
