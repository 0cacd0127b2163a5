"""The staff pages of surveys, under ``/surveys/`` (clvcrm/urls.py)."""

from django.urls import path

from feedback.views import analytics, surveys

app_name = "feedback"

urlpatterns = [
    path("", surveys.survey_list, name="list"),
    path("nps/", analytics.nps_overview, name="nps"),
    path("new/", surveys.survey_create_page, name="create"),
    path("<int:pk>/", analytics.survey_detail, name="detail"),
    path("<int:pk>/edit/", surveys.survey_edit, name="edit"),
    path("<int:pk>/invite/", surveys.survey_invite_page, name="invite"),
]
