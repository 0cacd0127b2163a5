"""A campaign's effect on customer value: measured once, at the first CLV run after its
window closed, per arm against the holdout."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from campaigns.models import ClvEffect
from campaigns.services.clv_effects import clv_effects_measure
from campaigns.services.results import campaign_results_compute
from campaigns.statistics import means_compare, proportions_compare
from customers.models import CustomerSegment
from customers.services.segments import segments_reassign
from tests.campaigns.builders import campaign_made, customers_made, exposed
from tests.customers.test_segments import _run, _score

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _campaign_with_a_run():
    """V0's 12 customers were won back (P(alive) 0.9, predicted CLV 150 to 260); V1's and
    the holdout's 12 each stay at risk (P(alive) 0.3, 100 to 155); results final."""
    campaign = campaign_made(holdout="20.0", attribution_days=7)
    v0, v1 = campaign.variants.order_by("id")
    arms = {
        "V0": customers_made(12, prefix="A"),
        "V1": customers_made(12, prefix="B"),
        "holdout": customers_made(12, prefix="H"),
    }
    exposed(campaign, v0, arms["V0"], at=T0, status="sent")
    exposed(campaign, v1, arms["V1"], at=T0, status="sent")
    exposed(campaign, None, arms["holdout"], at=T0)
    campaign_results_compute(campaign_id=campaign.pk, now=T0 + timedelta(days=8))
    run = _run()
    for name, customers in arms.items():
        for number, customer in enumerate(customers):
            won = name == "V0"
            predicted = (150 if won else 100) + 10 * number
            _score(customer, run, p_alive=0.9 if won else 0.3, predicted=str(predicted))
    segments_reassign(run_id=run.pk)
    return campaign, run, arms


def test_the_arms_are_compared_on_the_runs_scores_and_segments():
    campaign, run, arms = _campaign_with_a_run()
    lost = {"at_risk", "churned"}
    segments = dict(CustomerSegment.objects.values_list("customer_id", "segment__code"))
    assert all(segments[c.pk] not in lost for c in arms["V0"])
    assert all(segments[c.pk] == "at_risk" for c in arms["V1"] + arms["holdout"])

    assert clv_effects_measure(run_id=run.pk) == [campaign.pk]

    effect = ClvEffect.objects.get(campaign=campaign)
    assert effect.run == run
    by_name = {arm["name"]: arm for arm in effect.arms}
    assert [arm["name"] for arm in effect.arms] == ["holdout", "V0", "V1"]
    assert by_name["V0"]["predicted_clv_mean"] == pytest.approx(205.0)
    assert by_name["holdout"]["predicted_clv_mean"] == pytest.approx(155.0)
    assert by_name["V0"]["p_alive_mean"] == pytest.approx(0.9)
    assert (by_name["V0"]["left_lost"], by_name["V1"]["left_lost"]) == (12, 0)
    assert by_name["holdout"]["left_lost_share"] == 0.0
    assert by_name["holdout"]["predicted_clv"] is None  # the holdout is the reference

    v0 = np.array([150.0 + 10 * n for n in range(12)])
    holdout = np.array([100.0 + 10 * n for n in range(12)])
    expected = means_compare(v0, holdout, cap_percentile=99.0, resamples=1000, seed=0)
    assert by_name["V0"]["predicted_clv"] == {
        "absolute": expected.absolute,
        "ci_low": expected.ci_low,
        "ci_high": expected.ci_high,
        "p_value": expected.p_value,
    }
    left = proportions_compare(12, 12, 0, 12)
    assert by_name["V0"]["left"] == {
        "absolute": 1.0,
        "ci_low": left.ci_low,
        "ci_high": left.ci_high,
        "p_value": left.p_value,
    }
    assert by_name["V1"]["left"]["absolute"] == 0.0


def test_measured_once_and_not_before_the_window_closed():
    campaign, run, _ = _campaign_with_a_run()
    still_open = campaign_made(name="Still open", holdout="20.0")
    exposed(still_open, None, customers_made(3, prefix="S"), at=datetime.now(UTC))
    campaign_results_compute(campaign_id=still_open.pk)

    assert clv_effects_measure(run_id=run.pk) == [campaign.pk]
    assert clv_effects_measure(run_id=run.pk) == []
    assert list(ClvEffect.objects.values_list("campaign", flat=True)) == [campaign.pk]
