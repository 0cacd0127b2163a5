"""The default segment rules as set-based SQL over the scores and current segments.

Two temporary tables, each filled by one ``INSERT ... SELECT``-like statement:

``segment_stage`` holds every customer with their current segment and, when one of the
first three rules matches (new → churned → at_risk), the reason. The rest are ranked by
value for the high-value cut, which depends on who is left.

``segment_result`` holds only the customers whose reason changes; writing transitions and
assignments from it costs nothing when nothing changed (a re-run of the same run).

Hysteresis: a rule's threshold is the entry bar; a customer already in that segment stays
until they pass it by ``hysteresis_margin`` of its value (P(alive) < 0.15 to enter churned,
≥ 0.165 to leave it). The reason is the first rule that matches at its entry bar, else the
one that matches at its exit bar, so a re-run with the new segment as the current one gives
the same segment *and* the same reason: reassignment is idempotent.
"""

import dataclasses
import logging
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection

from clvcrm.core.input_values import InputValueError, number_range_of, number_within
from clvcrm.core.model_fields import model_field
from customers.models import (
    Customer,
    CustomerScore,
    CustomerSegment,
    DefaultSegment,
    SegmentReason,
    SegmentThresholds,
)
from customers.models.segments import REASON_SEGMENT

logger = logging.getLogger(__name__)

STAGE = "segment_stage"
RESULT = "segment_result"


@dataclass(frozen=True)
class Thresholds:
    """The numbers the rules use (a snapshot of ``SegmentThresholds``)."""

    new_customer_days: int = 60
    churn_p_alive: float = 0.15
    one_time_churn_days: int = 365
    no_model_churn_days: int = 365
    at_risk_p_alive: float = 0.5
    at_risk_spend_drop: float = 0.5
    high_value_share: float = 0.2
    hysteresis_margin: float = 0.1


def thresholds_checked(values: dict[str, Any]) -> Thresholds:
    """The thresholds in ``values``, each within what its ``SegmentThresholds`` field accepts.

    The admin checks what staff type, but a row or record edited by hand (NaN, infinity,
    1e308, text) must neither stop a run nor reach SQL: such a value gets the field's
    default, logged as an error; so does a missing one, silently (records older than a
    threshold). Keys of retired thresholds are ignored.
    """
    checked = {}
    for name in (f.name for f in dataclasses.fields(Thresholds)):
        field = model_field(SegmentThresholds, name)
        value = values.get(name, field.default)
        low, high = number_range_of(field)
        try:
            checked[name] = number_within(value, minimum=low, maximum=high)
        except (InputValueError, TypeError) as exc:
            checked[name] = field.default
            message = "segment threshold %s = %r is unusable (%s): the default %s applies"
            logger.error(message, name, value, exc, field.default)
    return Thresholds(**checked)


def median_value() -> Decimal | None:
    """The median historical CLV of the scored customers (the lower one of an even count).

    "Value" for the at-risk rule is what a customer has brought in: their predicted CLV
    already collapses with P(alive), so it would hide exactly the customers at risk.
    """
    if connection.vendor == "postgresql":
        # The lower middle too; one sort, and twice as fast as ORDER BY ... OFFSET.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY historical_clv) "
                f"FROM {CustomerScore._meta.db_table}"
            )
            return cursor.fetchone()[0]
    scores = CustomerScore.objects.order_by("historical_clv")
    count = scores.count()
    if not count:
        return None
    return scores.values_list("historical_clv", flat=True)[(count - 1) // 2]


def stage_fill(
    cursor: Any, *, t: Thresholds, median: Decimal | None, ids: dict[str, int], as_of: date
) -> None:
    """Fill ``segment_stage``: every customer of the shop as of the run's ``as_of`` (scored,
    or acquired by then), their current segment, the first three rules.

    A customer acquired after ``as_of`` is none of the run's business: the run read none
    of their orders, so it would put them among the low-value; they wait for the next run
    (which a new order asks for) in the segment they had, if any.
    """
    m = t.hysteresis_margin
    params = {
        "as_of": as_of,
        "new_days": t.new_customer_days,
        "churn_p": t.churn_p_alive,
        "churn_p_exit": min(1.0, t.churn_p_alive * (1 + m)),
        "one_time_days": t.one_time_churn_days,
        "no_model_days": t.no_model_churn_days,
        "median": median,
        "median_exit": None if median is None else median * Decimal(str(1 - m)),
        "risk_p": t.at_risk_p_alive,
        "risk_p_exit": min(1.0, t.at_risk_p_alive * (1 + m)),
        "keep": 1 - t.at_risk_spend_drop,
        "keep_exit": 1 - t.at_risk_spend_drop * (1 - m),
        "churned": ids[DefaultSegment.CHURNED],
        "at_risk": ids[DefaultSegment.AT_RISK],
    }
    r = SegmentReason
    # Money parameters arrive as text on SQLite; the stage's computed columns have no type
    # there, and SQLite orders every number before every text: cast them back to numbers.
    valuable = "s.historical_clv >= CAST(%(median)s AS NUMERIC)"
    stays = "a.segment_id = %(at_risk)s AND s.historical_clv >= CAST(%(median_exit)s AS NUMERIC)"
    # The two spend windows come with the scores (the CLV run sums them from its scan of
    # the orders), so the reassignment reads no order.
    dropped = "s.spend_prior_90d > 0 AND s.spend_last_90d <= s.spend_prior_90d * {}"
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {STAGE} AS
        SELECT c.id AS customer_id, a.segment_id AS current_id, a.reason AS current_reason,
               s.customer_id IS NOT NULL AS scored,
               COALESCE(s.predicted_clv, s.historical_clv) AS value,
               CASE
                 WHEN s.customer_id IS NULL THEN NULL
                 WHEN s.age_days < %(new_days)s THEN '{r.NEW}'
                 WHEN s.p_alive < %(churn_p)s THEN '{r.CHURNED_P_ALIVE}'
                 WHEN s.frequency = 0 AND s.age_days > %(one_time_days)s
                   THEN '{r.CHURNED_ONE_TIME}'
                 WHEN s.p_alive IS NULL AND s.age_days - s.recency_days > %(no_model_days)s
                   THEN '{r.CHURNED_NO_MODEL}'
                 WHEN a.segment_id = %(churned)s AND s.p_alive < %(churn_p_exit)s
                   THEN '{r.CHURNED_P_ALIVE}'
                 WHEN {valuable} AND s.p_alive < %(risk_p)s THEN '{r.AT_RISK_P_ALIVE}'
                 WHEN {valuable} AND {dropped.format("%(keep)s")} THEN '{r.AT_RISK_SPEND_DROP}'
                 WHEN {stays} AND s.p_alive < %(risk_p_exit)s THEN '{r.AT_RISK_P_ALIVE}'
                 WHEN {stays} AND {dropped.format("%(keep_exit)s")}
                   THEN '{r.AT_RISK_SPEND_DROP}'
               END AS reason
        FROM {Customer._meta.db_table} c
        LEFT JOIN {CustomerScore._meta.db_table} s ON s.customer_id = c.id
        LEFT JOIN {CustomerSegment._meta.db_table} a ON a.customer_id = c.id
        WHERE s.customer_id IS NOT NULL OR c.acquired_on <= %(as_of)s
        """,
        params,
    )


def high_value_cut(cursor: Any, t: Thresholds) -> Decimal | None:
    """The value of the last customer inside the top share of those no rule took yet."""
    rest = f"FROM {STAGE} WHERE reason IS NULL AND scored AND value > 0"
    cursor.execute(f"SELECT COUNT(*) {rest}")
    count = cursor.fetchone()[0]
    # Decimal: 15 × 0.2 is 3.0000000000000004 in floats, whose ceiling would be 4.
    top = math.ceil(Decimal(count) * Decimal(str(t.high_value_share)))
    if top < 1:
        return None
    # Sorted as floats, twice as fast as numerics; cents up to 14 digits keep their order.
    cursor.execute(
        f"SELECT value {rest} ORDER BY CAST(value AS DOUBLE PRECISION) DESC LIMIT 1 OFFSET %s",
        [top - 1],
    )
    return Decimal(str(cursor.fetchone()[0])).quantize(Decimal("0.01"))


def result_fill(cursor: Any, *, cut: Decimal | None, t: Thresholds, ids: dict[str, int]) -> int:
    """Fill ``segment_result`` with the customers whose reason (and maybe segment) changes.

    Return how many (the driver's row count: -1 where it does not tell, as on SQLite).
    """
    r = SegmentReason
    segment_of = " ".join(
        f"WHEN '{reason}' THEN {int(ids[segment])}" for reason, segment in REASON_SEGMENT.items()
    )
    cursor.execute(f"DROP TABLE IF EXISTS {RESULT}")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {RESULT} AS
        SELECT customer_id, current_id, reason, CASE reason {segment_of} END AS segment_id
        FROM (
          SELECT customer_id, current_id, current_reason,
                 COALESCE(reason, CASE
                   WHEN NOT scored THEN '{r.NO_PURCHASE}'
                   WHEN value > 0 AND (value >= CAST(%(cut)s AS NUMERIC)
                     OR (current_id = %(high_value)s AND value >= CAST(%(cut_exit)s AS NUMERIC)))
                     THEN '{r.HIGH_VALUE}'
                   ELSE '{r.LOW_VALUE}'
                 END) AS reason
          FROM {STAGE}
        ) decided
        WHERE current_reason IS NULL OR current_reason <> reason
        """,
        {
            "cut": cut,
            "cut_exit": None if cut is None else cut * Decimal(str(1 - t.hysteresis_margin)),
            "high_value": ids[DefaultSegment.HIGH_VALUE],
        },
    )
    return cursor.rowcount


def tables_drop(cursor: Any) -> None:
    """Drop the temporary tables (SQLite keeps them for the connection's life)."""
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    cursor.execute(f"DROP TABLE IF EXISTS {RESULT}")
