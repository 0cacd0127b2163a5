"""Campaign results: attribution (exposure, window, refunds, intention to treat), the
statistics stored per arm, "final", the sample-ratio check, and the refresh."""

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import ArmResult, Campaign, Message, ResultComputation
from campaigns.results.compare import bootstrap_resamples
from campaigns.results.compute import campaign_figures
from campaigns.results.exposures import campaign_exposures
from campaigns.services import results as results_service
from campaigns.services.results import (
    ResultsRefresh,
    campaign_results_compute,
    campaign_results_refresh,
    results_due,
)
from campaigns.statistics import (
    holm_adjust,
    means_compare,
    proportions_compare,
    sample_ratio_check,
)
from customers.models import Order
from tests.campaigns.builders import (
    campaign_made,
    customers_made,
    exposed,
    ordered,
    results_campaign,
)
from tests.query_counts import per_backend

pytestmark = pytest.mark.django_db

# Microseconds on purpose: the window's ends must be exact to the microsecond on SQLite too.
T0 = datetime(2026, 3, 1, 9, 0, 0, 250_000, tzinfo=UTC)
DAY = timedelta(days=1)
LATER = T0 + 30 * DAY


def arms(computation: ResultComputation) -> dict[str, ArmResult]:
    return {
        (arm.variant.name if arm.variant else "holdout"): arm
        for arm in computation.arms.select_related("variant")
    }


def test_a_built_campaign_has_exact_figures_per_arm() -> None:
    campaign, _ = results_campaign(T0)

    computation = campaign_results_compute(campaign_id=campaign.pk, now=LATER)

    by_name = arms(computation)
    figures = {
        name: (
            arm.assigned,
            arm.sent,
            arm.failed,
            arm.suppressed,
            arm.opens,
            arm.clicks,
            arm.conversions,
            arm.revenue,
            arm.revenue_per_customer,
            arm.conversion_rate,
        )
        for name, arm in by_name.items()
    }
    assert figures == {
        "V0": (4, 2, 1, 1, 1, 1, 2, Decimal("60.00"), Decimal("15.00"), 0.5),
        "V1": (3, 0, 0, 0, 0, 0, 1, Decimal("12.50"), Decimal("4.17"), 1 / 3),
        "holdout": (3, 0, 0, 0, 0, 0, 1, Decimal("40.00"), Decimal("13.33"), 1 / 3),
    }
    assert by_name["V0"].suppressed_by_reason["frequency_cap"] == 1
    assert sum(by_name["V0"].suppressed_by_reason.values()) == 1
    assert (computation.final, computation.window_closes_at) == (True, T0 + 7 * DAY)
    assert computation.attribution_days == 7


def test_the_statistics_get_the_exact_counts_and_arrays() -> None:
    campaign, _ = results_campaign(T0)

    by_name = arms(campaign_results_compute(campaign_id=campaign.pk, now=LATER))

    v0, v1 = proportions_compare(2, 4, 1, 3), proportions_compare(1, 3, 1, 3)
    adjusted = holm_adjust([v0.p_value, v1.p_value])
    stored = by_name["V0"]
    assert (stored.conversion_absolute, stored.conversion_ci_low, stored.conversion_ci_high) == (
        v0.absolute,
        v0.ci_low,
        v0.ci_high,
    )
    assert (stored.conversion_relative, stored.conversion_p_value) == (v0.relative, v0.p_value)
    assert [
        by_name["V0"].conversion_p_value_adjusted,
        by_name["V1"].conversion_p_value_adjusted,
    ] == (adjusted)
    # Revenue per exposure in assignment order; the covariate is the 90 days' spend before.
    holdout_revenue, holdout_prior = np.array([40.0, 0, 0]), np.zeros(3)
    revenue = means_compare(
        np.array([45.0, 0, 15, 0]),
        holdout_revenue,
        x_t=np.array([0.0, 0, 0, 50]),
        x_c=holdout_prior,
        cap_percentile=99.0,
    )
    assert (stored.revenue_absolute, stored.revenue_ci_low, stored.revenue_p_value) == (
        revenue.absolute,
        revenue.ci_low,
        revenue.p_value,
    )
    assert (stored.revenue_bootstrap_low, stored.revenue_cap) == (
        revenue.bootstrap_low,
        revenue.cap,
    )
    assert by_name["holdout"].conversion_p_value is None
    assert by_name["holdout"].revenue_absolute is None


def test_the_window_ends_are_exact() -> None:
    campaign = campaign_made(weights=(1,), holdout="50.0", attribution_days=7)
    c = customers_made(7)
    exposed(campaign, None, c, at=T0)
    end = T0 + 7 * DAY
    ordered(c[0], T0)  # at the assignment itself: before the exposure
    ordered(c[1], T0 + timedelta(microseconds=1))  # just after: counts
    ordered(c[2], end)  # at exactly the window's end: counts
    ordered(c[3], end + timedelta(microseconds=1))  # one microsecond after: does not
    ordered(c[4], end + timedelta(seconds=1))  # one second after: does not
    ordered(c[5], T0 - timedelta(seconds=1), "25.00")  # before the assignment: does not
    ordered(c[6], T0 - 90 * DAY)  # the covariate's period starts just after this

    holdout = campaign_exposures(campaign_id=campaign.pk, attribution_days=7, now=LATER)[None]

    assert holdout.revenue_per_exposure.tolist() == [0, 10, 10, 0, 0, 0, 0]
    assert (holdout.assigned, holdout.conversions, holdout.revenue) == (7, 2, Decimal("20.00"))
    assert holdout.prior_spend.tolist() == [10, 0, 0, 0, 0, 25, 0]


def test_orders_after_now_are_left_out_and_the_results_are_provisional() -> None:
    campaign = campaign_made(weights=(1,), holdout="50.0", attribution_days=7)
    c = customers_made(2)
    exposed(campaign, None, c[:1], at=T0)
    exposed(campaign, None, c[1:], at=T0 + DAY, trigger_ref="broadcast:2026-03-02")
    ordered(c[0], T0 + 2 * DAY)

    early = campaign_results_compute(campaign_id=campaign.pk, now=T0 + DAY)
    almost = campaign_results_compute(
        campaign_id=campaign.pk, now=T0 + 8 * DAY - timedelta(microseconds=1)
    )
    closed = campaign_results_compute(campaign_id=campaign.pk, now=T0 + 8 * DAY)

    assert arms(early)["holdout"].conversions == 0
    assert arms(almost)["holdout"].conversions == 1
    # Final once the last assignment's window (a day after the first's) has closed.
    assert [c.window_closes_at for c in (early, almost, closed)] == [T0 + 8 * DAY] * 3
    assert [c.final for c in (early, almost, closed)] == [False, False, True]


def test_refunds_are_netted_and_refunded_or_cancelled_orders_count_nothing() -> None:
    campaign = campaign_made(weights=(1,), holdout="50.0", attribution_days=7)
    c = customers_made(4)
    exposed(campaign, None, c, at=T0)
    ordered(c[0], T0 + DAY, "100.00", refunded="30.00")
    ordered(c[1], T0 + DAY, "100.00", refunded="100.00")  # bought, then returned it all
    ordered(c[2], T0 + DAY, "100.00", status=Order.Status.REFUNDED)
    ordered(c[3], T0 + DAY, "100.00", status=Order.Status.CANCELLED)

    holdout = campaign_exposures(campaign_id=campaign.pk, attribution_days=7, now=LATER)[None]

    assert holdout.revenue_per_exposure.tolist() == [70, 0, 0, 0]
    assert (holdout.conversions, holdout.revenue) == (2, Decimal("70.00"))


def test_an_order_counts_for_one_exposure_of_a_customer_assigned_twice() -> None:
    campaign = campaign_made(weights=(1,), holdout="50.0", attribution_days=7)
    [customer] = customers_made(1)
    exposed(campaign, None, [customer], at=T0, trigger_ref="broadcast:2026-03-01")
    exposed(campaign, None, [customer], at=T0 + 3 * DAY, trigger_ref="broadcast:2026-03-04")
    ordered(customer, T0 + DAY, "10.00")  # the first's
    ordered(customer, T0 + 3 * DAY, "20.00")  # at the second's assignment: still the first's
    ordered(customer, T0 + 5 * DAY, "30.00")  # the second's only, though in both windows
    ordered(customer, T0 + 11 * DAY, "40.00")  # after the second's window

    holdout = campaign_exposures(campaign_id=campaign.pk, attribution_days=7, now=LATER)[None]

    assert holdout.revenue_per_exposure.tolist() == [30, 30]
    assert (holdout.assigned, holdout.conversions, holdout.revenue) == (2, 2, Decimal("60.00"))
    assert holdout.prior_spend.tolist() == [0, 30]


def test_suppressing_half_of_a_variants_sends_does_not_raise_its_conversion_rate() -> None:
    campaign = campaign_made(weights=(1,), holdout="10.0", attribution_days=7)
    [variant] = campaign.variants.all()
    c = customers_made(20)
    exposed(campaign, variant, c, at=T0, status="sent")
    for customer in c[:10]:
        ordered(customer, T0 + DAY)
    before = arms(campaign_results_compute(campaign_id=campaign.pk, now=LATER))["V0"]

    # Half the sends suppressed, all of them customers who did not buy: a per-protocol count
    # (sent only) would now show 10 of 10.
    Message.objects.filter(customer__in=c[10:]).update(
        status="suppressed", suppressed_reason="frequency_cap"
    )
    after = arms(campaign_results_compute(campaign_id=campaign.pk, now=LATER))["V0"]

    assert (before.assigned, before.sent, before.conversions, before.conversion_rate) == (
        20,
        20,
        10,
        0.5,
    )
    assert (after.assigned, after.sent, after.suppressed, after.conversions) == (20, 10, 10, 10)
    assert after.conversion_rate == 0.5


@pytest.mark.parametrize(
    ("assigned", "mismatch"),
    [((100, 540, 360), True), ((100, 450, 450), False)],
)
def test_a_broken_split_is_a_sample_ratio_mismatch(
    assigned: tuple[int, int, int], mismatch: bool
) -> None:
    campaign = campaign_made(weights=(1, 1), holdout="10.0")
    v0, v1 = campaign.variants.order_by("id")
    c = customers_made(1000)
    holdout, first = assigned[0], assigned[0] + assigned[1]
    exposed(campaign, None, c[:holdout], at=T0)
    exposed(campaign, v0, c[holdout:first], at=T0)
    exposed(campaign, v1, c[first:], at=T0)

    computation = campaign_results_compute(campaign_id=campaign.pk, now=LATER)

    expected = sample_ratio_check(list(assigned), [0.1, 0.45, 0.45])
    assert (computation.srm_p_value, computation.srm_mismatch) == (expected.p_value, mismatch)
    assert expected.mismatch is mismatch


def test_without_a_holdout_nothing_is_compared() -> None:
    campaign = campaign_made(weights=(3, 1), holdout="0")
    v0, v1 = campaign.variants.order_by("id")
    c = customers_made(8)
    exposed(campaign, v0, c[:6], at=T0)
    exposed(campaign, v1, c[6:], at=T0)

    computation = campaign_results_compute(campaign_id=campaign.pk, now=LATER)

    assert sorted(arms(computation)) == ["V0", "V1"]
    assert {arm.conversion_p_value for arm in computation.arms.all()} == {None}
    expected = sample_ratio_check([6, 2], [0.75, 0.25])
    assert (computation.srm_p_value, computation.srm_mismatch) == (expected.p_value, False)


def test_compute_takes_a_fixed_number_of_queries_however_many_customers() -> None:
    campaign, _ = results_campaign(T0)
    v0 = campaign.variants.order_by("id")[0]
    exposed(campaign, v0, customers_made(30, prefix="M"), at=T0, status="sent")

    with CaptureQueriesContext(connection) as queries:
        campaign_results_compute(campaign_id=campaign.pk, now=LATER)

    # The campaign; its variants; the last assignment; the exposures with their orders in
    # their own savepoint (on PostgreSQL with JIT off); the messages by arm; in a savepoint,
    # the computation, its arms and the older computations to delete (none).
    assert len(queries) == per_backend(sqlite=12, postgresql=13)


def test_the_oldest_computations_are_deleted_beyond_the_kept_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(results_service, "COMPUTATIONS_KEPT", 2)
    campaign, _ = results_campaign(T0)
    made = [
        campaign_results_compute(campaign_id=campaign.pk, now=LATER + i * DAY) for i in range(3)
    ]

    kept = ResultComputation.objects.filter(campaign=campaign).order_by("computed_at")
    assert list(kept) == made[1:]
    assert ArmResult.objects.filter(computation=made[0]).count() == 0


def test_the_refresh_computes_what_is_due_and_skips_a_failing_campaign(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    good, _ = results_campaign(T0)
    bad = campaign_made(name="Broken", weights=(1,))
    exposed(bad, None, customers_made(1, prefix="Bad"), at=T0)
    nobody = campaign_made(name="Nobody entered", weights=(1,))

    def failing(campaign: Campaign, *, now: datetime) -> Any:
        if campaign.pk == bad.pk:
            raise RuntimeError("boom")
        return campaign_figures(campaign, now=now)

    monkeypatch.setattr(results_service, "campaign_figures", failing)

    with caplog.at_level(logging.ERROR, logger="campaigns.services.results"):
        refresh = campaign_results_refresh(now=LATER)

    assert refresh == ResultsRefresh(computed=[good.pk], failed=[bad.pk])
    assert list(ResultComputation.objects.values_list("campaign_id", flat=True)) == [good.pk]
    assert [r.getMessage() for r in caplog.records] == [
        f"results of campaign {bad.pk} not computed"
    ]
    assert nobody.pk not in {c.pk for c in results_due()}


def test_a_final_computation_is_not_due_until_someone_new_is_assigned() -> None:
    campaign, _ = results_campaign(T0)
    campaign_results_compute(campaign_id=campaign.pk, now=T0 + DAY)
    assert list(results_due()) == [campaign]  # not final: windows still open

    campaign_results_compute(campaign_id=campaign.pk, now=LATER)
    assert list(results_due()) == []

    [late] = customers_made(1, prefix="Late")
    exposed(campaign, None, [late], at=LATER + DAY)
    assert list(results_due()) == [campaign]

    # A finished campaign takes no entrants: its assignments are not looked at again.
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.FINISHED)
    assert list(results_due()) == []


def test_the_curves_cumulate_conversions_and_revenue_by_day_since_assignment() -> None:
    campaign, _ = results_campaign(T0)

    computation = campaign_results_compute(campaign_id=campaign.pk, now=LATER)

    # Day d holds what happened up to d × 24 hours after the assignment (index 0: the
    # first 24 hours). V0's 4: c0 converts at +1 day (30.00) and buys again at +2 (15.00
    # net), c2 converts at +3 (15.00).
    curves = {name: arm.by_day for name, arm in arms(computation).items()}
    assert curves["V0"] == [
        [0.0, 0.0],
        [0.25, 7.5],
        [0.25, 11.25],
        [0.5, 15.0],
        [0.5, 15.0],
        [0.5, 15.0],
        [0.5, 15.0],
    ]
    assert curves["V1"] == [[0.0, 0.0]] * 6 + [[0.333333, 4.1667]]  # c6 at +6 days, 12.50
    assert curves["holdout"] == [[0.0, 0.0]] + [[0.333333, 13.3333]] * 6  # c7 at +1, 40.00


@pytest.mark.parametrize(
    ("customers", "resamples"), [(10, 2000), (20_000, 2000), (25_000, 1600), (55_000, 1000)]
)
def test_the_bootstrap_gets_fewer_resamples_only_for_very_large_arms(customers, resamples):
    assert bootstrap_resamples(customers) == resamples
