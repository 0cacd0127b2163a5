"""The staff pages of campaigns."""

from django.urls import path

from campaigns.views import campaigns, previews, programme, results

app_name = "campaigns"

urlpatterns = [
    path("", campaigns.campaign_list, name="list"),
    path("programme/", programme.programme, name="programme"),
    path("new/", campaigns.campaign_create_page, name="create"),
    path("<int:pk>/", campaigns.campaign_detail, name="detail"),
    path("<int:pk>/results/", results.campaign_results_page, name="results"),
    path("<int:pk>/edit/", campaigns.campaign_edit, name="edit"),
    path("<int:pk>/activate/", campaigns.campaign_activate_view, name="activate"),
    path("<int:pk>/pause/", campaigns.campaign_pause_view, name="pause"),
    path("<int:pk>/finish/", campaigns.campaign_finish_view, name="finish"),
    path("variants/<int:pk>/preview/", previews.variant_preview, name="variant-preview"),
    path("variants/<int:pk>/test/", previews.variant_test_send, name="variant-test-send"),
]
