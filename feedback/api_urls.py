"""The surveys API (v1), under ``/api/v1/surveys/`` (clvcrm/urls.py)."""

from django.urls import path

from feedback import api

urlpatterns = [
    path("", api.SurveyListApi.as_view(), name="api-survey-list"),
    path("<int:pk>/", api.SurveyDetailApi.as_view(), name="api-survey-detail"),
    path("<int:pk>/invite/", api.SurveyInviteApi.as_view(), name="api-survey-invite"),
    path("<int:pk>/nps/", api.SurveyNpsApi.as_view(), name="api-survey-nps"),
]
