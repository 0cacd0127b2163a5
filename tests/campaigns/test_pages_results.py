"""The results page: the stored computation's arms and comparisons, its charts, and the
warnings (provisional, sample ratio mismatch), the effect on CLV and the winner."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from campaigns.services.results import campaign_results_compute
from tests.campaigns.builders import campaign_made, customers_made, exposed, results_campaign

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _page(client, campaign) -> str:
    response = client.get(reverse("campaigns:results", args=[campaign.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_final_computation_shows_the_arms_the_uplift_and_the_curves(analyst_client):
    campaign, _ = results_campaign(T0)
    campaign_results_compute(campaign_id=campaign.pk, now=T0 + timedelta(days=30))

    html = _page(analyst_client, campaign)

    assert 'id="final"' in html
    assert 'id="provisional"' not in html
    assert 'id="srm-warning"' not in html
    assert 'id="arms"' in html
    assert 'id="uplift"' in html
    assert html.count('class="plotly-graph-div"') == 4  # two interval charts, two curves
    assert "+16.67 pp" in html  # V0 converts 2 of 4, the holdout 1 of 3: 50% − 33.3%
    assert 'id="clv-effect-pending"' in html


def test_an_open_window_is_provisional_and_a_broken_split_warned(analyst_client):
    campaign = campaign_made(weights=(1, 1), holdout="0.0")
    v0, v1 = campaign.variants.order_by("id")
    exposed(campaign, v0, customers_made(60, prefix="A"), at=datetime.now(UTC))
    exposed(campaign, v1, customers_made(40, prefix="B"), at=datetime.now(UTC))
    campaign_results_compute(campaign_id=campaign.pk)

    html = _page(analyst_client, campaign)

    assert 'id="provisional"' in html
    assert 'id="srm-warning"' not in html  # 60/40 of 100 is not yet a mismatch at 0.001
    exposed(campaign, v0, customers_made(540, prefix="C"), at=datetime.now(UTC))
    exposed(campaign, v1, customers_made(360, prefix="D"), at=datetime.now(UTC))
    campaign_results_compute(campaign_id=campaign.pk)

    html = _page(analyst_client, campaign)

    assert 'id="srm-warning"' in html  # 600/400 against 50/50
    assert 'id="no-holdout"' in html


def test_no_computation_yet_says_so(analyst_client):
    campaign = campaign_made()

    html = _page(analyst_client, campaign)

    assert 'id="no-results"' in html


def test_the_winner_is_pending_until_decided(analyst_client):
    campaign = campaign_made(holdout="20.0", auto_winner=True, winner_minimum_per_arm=500)

    html = _page(analyst_client, campaign)

    assert 'id="winner-pending"' in html
    assert "500 customers whose attribution window has closed" in html
