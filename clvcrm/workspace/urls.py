from django.urls import path

from clvcrm.workspace import privacy_views, views

app_name = "workspace"

urlpatterns = [
    path("operations/", views.operations_page, name="operations"),
    path("operations/recalculate/", views.recalculation_start, name="recalculate"),
    path("audit/", views.audit_log, name="audit"),
    path(
        "privacy/customers/<int:pk>/export/",
        privacy_views.customer_export,
        name="privacy_export",
    ),
    path(
        "privacy/customers/<int:pk>/erase/",
        privacy_views.customer_erase_page,
        name="privacy_erase",
    ),
]
