"""A campaign's effect on customer value itself, measured at a CLV run after its window.

Clicks and even orders in a week are proxies; a retention campaign is for customers who
stay and buy again, which the CLV model writes down at its next run. So, once a campaign's
attribution window has closed, the first CLV run after it compares the arms on the run's
scores, each variant against the holdout:

* mean predicted CLV and mean P(alive): ``campaigns.statistics.means_compare`` (Welch's t
  on values capped at the pooled 99th percentile, with a bootstrap interval);
* the share of the arm no longer in the at-risk or churned segment (the segments as the
  run's reassignment left them): ``campaigns.statistics.proportions_compare``.

Each customer counts once per arm, whatever the number of their assignments (their arm is
fixed by the hash). Every assigned customer counts in their arm (intention to treat); a
customer the run did not score (no completed order) counts in the segment share but not in
the means, whose size is given apart.
"""

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.db import connection

from campaigns.results.compare import bootstrap_resamples
from campaigns.statistics import (
    MeanComparison,
    ProportionComparison,
    means_compare,
    proportions_compare,
)
from customers.models import DefaultSegment

STILL_LOST = (DefaultSegment.AT_RISK.value, DefaultSegment.CHURNED.value)

ARM_MEMBERS = """
    SELECT e.variant_id, s.predicted_clv, s.p_alive,
           CASE WHEN seg.code IN (%s, %s) THEN 0 ELSE 1 END AS left_lost
    FROM (
        SELECT DISTINCT variant_id, customer_id FROM campaigns_assignment WHERE campaign_id = %s
    ) e
    LEFT JOIN customers_customerscore s ON s.customer_id = e.customer_id
    LEFT JOIN customers_customersegment cs ON cs.customer_id = e.customer_id
    LEFT JOIN customers_segment seg ON seg.id = cs.segment_id
"""


@dataclass(frozen=True)
class ArmValue:
    """One arm at the run: its customers, their value, and (for a variant) the comparison
    with the holdout; a comparison is None for the holdout or a campaign without one."""

    variant_id: int | None
    customers: int
    scored: int
    predicted_clv_mean: float | None
    p_alive_mean: float | None
    left_lost: int
    predicted_clv: MeanComparison | None = None
    p_alive: MeanComparison | None = None
    left_share: ProportionComparison | None = None


def clv_effect_measure(campaign_id: int) -> list[ArmValue]:
    """Each arm of the campaign on the current scores and segments, holdout first."""
    members: dict[int | None, list[tuple[float | None, float | None, int]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(ARM_MEMBERS, [*STILL_LOST, campaign_id])
        for variant_id, clv, p_alive, left in cursor.fetchall():
            members[variant_id].append((None if clv is None else float(clv), p_alive, int(left)))
    holdout = _values(members.get(None, []))
    arms = [_arm(None, holdout, None)]
    for variant_id in sorted(key for key in members if key is not None):
        arms.append(_arm(variant_id, _values(members[variant_id]), holdout))
    return arms if members else []


@dataclass(frozen=True)
class _Values:
    clv: np.ndarray
    p_alive: np.ndarray
    left: np.ndarray


def _values(rows: list[tuple[float | None, float | None, int]]) -> _Values:
    return _Values(
        clv=np.array([row[0] for row in rows if row[0] is not None], dtype=np.float64),
        p_alive=np.array([row[1] for row in rows if row[1] is not None], dtype=np.float64),
        left=np.array([row[2] for row in rows], dtype=np.int64),
    )


def _arm(variant_id: int | None, arm: _Values, holdout: _Values | None) -> ArmValue:
    control = holdout if holdout is not None and len(holdout.left) and len(arm.left) else None
    return ArmValue(
        variant_id=variant_id,
        customers=len(arm.left),
        scored=len(arm.clv),
        predicted_clv_mean=float(arm.clv.mean()) if len(arm.clv) else None,
        p_alive_mean=float(arm.p_alive.mean()) if len(arm.p_alive) else None,
        left_lost=int(arm.left.sum()),
        predicted_clv=_means(arm.clv, control.clv) if control else None,
        # P(alive) is a probability: nothing to cap.
        p_alive=_means(arm.p_alive, control.p_alive, cap=None) if control else None,
        left_share=(
            proportions_compare(
                int(arm.left.sum()), len(arm.left), int(control.left.sum()), len(control.left)
            )
            if control
            else None
        ),
    )


def _means(
    treatment: np.ndarray, control: np.ndarray, *, cap: float | None = 99.0
) -> MeanComparison | None:
    if not len(treatment) or not len(control):
        return None
    return means_compare(
        treatment,
        control,
        cap_percentile=cap,
        resamples=bootstrap_resamples(len(treatment) + len(control)),
        seed=0,
    )
