"""The campaigns API (v1), under ``/api/v1/campaigns/`` (clvcrm/urls.py)."""

from django.urls import path

from campaigns.api import campaigns

urlpatterns = [
    path("", campaigns.CampaignListApi.as_view(), name="api-campaign-list"),
    path("<int:pk>/", campaigns.CampaignDetailApi.as_view(), name="api-campaign-detail"),
    path(
        "<int:pk>/activate/",
        campaigns.CampaignActivateApi.as_view(),
        name="api-campaign-activate",
    ),
    path("<int:pk>/pause/", campaigns.CampaignPauseApi.as_view(), name="api-campaign-pause"),
    path("<int:pk>/finish/", campaigns.CampaignFinishApi.as_view(), name="api-campaign-finish"),
    path(
        "<int:pk>/results/",
        campaigns.CampaignResultsApi.as_view(),
        name="api-campaign-results",
    ),
]
