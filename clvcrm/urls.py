"""Top-level URLs: staff pages, the API, the Django admin and authentication."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from clvcrm.core.api_views import ApiDocs, ApiNotFound
from clvcrm.workspace import privacy_api
from clvcrm.workspace.dashboard_view import dashboard
from clvcrm.workspace.kpis_api import KpiApi

urlpatterns = [
    path("", dashboard, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("customers/", include("customers.urls")),
    path("workspace/", include("clvcrm.workspace.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("surveys/", include("feedback.urls")),
    # What sent emails link to: public, signed tokens, no login.
    path("m/", include("campaigns.public_urls")),
    # The answer page of survey invitations: public, hashed tokens, no login.
    path("s/", include("feedback.public_urls")),
    path("api/v1/webhooks/", include("customers.webhook_urls")),
    path("api/v1/campaigns/", include("campaigns.api_urls")),
    path("api/v1/surveys/", include("feedback.api_urls")),
    path(
        "api/v1/customers/<str:external_id>/export/",
        privacy_api.CustomerExportApi.as_view(),
        name="api-customer-export",
    ),
    path(
        "api/v1/customers/<str:external_id>/erase/",
        privacy_api.CustomerEraseApi.as_view(),
        name="api-customer-erase",
    ),
    path("api/v1/kpis/", KpiApi.as_view(), name="api-kpis"),
    path("api/v1/", include("customers.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocs.as_view(url_name="api-schema"), name="api-docs"),
    # Any other address under api/: a 404 in the API's error format, not an HTML page.
    re_path(r"^api/", ApiNotFound.as_view(), name="api-not-found"),
    path("admin/", admin.site.urls),
]
# Bounces and complaints from the email service (django-anymail's tracking webhook of the
# one ESP in use), served only with a basic-auth secret: without one anybody could
# suppress any address. The other services' webhooks are not served at all.
if settings.ANYMAIL.get("WEBHOOK_SECRET") and settings.ANYMAIL_TRACKING_ESP:
    from anymail import urls as anymail_urls

    tracking = [
        pattern
        for pattern in anymail_urls.urlpatterns
        if getattr(pattern, "name", "") == f"{settings.ANYMAIL_TRACKING_ESP}_tracking_webhook"
    ]
    urlpatterns.insert(-1, path("anymail/", include((tracking, "anymail"))))
