from django.urls import path

from clvcrm.workspace import views

app_name = "workspace"

urlpatterns = [
    path("operations/", views.operations_page, name="operations"),
    path("operations/recalculate/", views.recalculation_start, name="recalculate"),
    path("audit/", views.audit_log, name="audit"),
]
