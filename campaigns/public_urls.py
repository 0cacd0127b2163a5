"""The addresses in sent emails (no login): the open pixel, click-through links and the
unsubscribe page with its one-click POST."""

from django.urls import URLPattern, path

from campaigns.tracking import views

app_name = "campaign-links"

urlpatterns: list[URLPattern] = [
    path("o/<str:token>.gif", views.open_pixel, name="open"),
    path("c/<str:token>/", views.click, name="click"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
