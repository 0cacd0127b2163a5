"""Top-level URLs: staff pages, the API, the Django admin and authentication."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clvcrm.core.views import home

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("customers/", include("customers.urls")),
    path("api/v1/webhooks/", include("customers.webhook_urls")),
    path("api/", include("customers.api_urls")),
    path("admin/", admin.site.urls),
]
