"""Evaluate every customer's loyalty tier as of a date, in a fixed number of statements.

The rules (``LoyaltySettings`` holds the numbers):

* A customer *qualifies* for the best-ranked tier whose thresholds their completed orders
  of the trailing 12 months meet (orders placed after the end of the as-of day 12 months
  earlier, up to the end of the as-of day; spend is their net revenue, totals less refunds).
* **Upgrade** as soon as they qualify for a better tier than theirs: the new tier counts
  from the as-of day and is reviewed ``review_months`` later.
* At the **review date** a customer who still qualifies for their tier keeps it for
  another ``review_months``. One who does not gets ``grace_days`` to requalify; when the
  grace period is over they are **downgraded**, one tier down or to the tier their spend
  supports (the policy), and the new tier is reviewed ``review_months`` later.
* A customer whose downgrade is due within ``warning_days`` is **flagged**: their status
  carries the downgrade date and the day the flag went up, for a warning campaign.
* Every upgrade and downgrade writes a :class:`~customers.models.LoyaltyTierChange`.

One aggregate reads the window's orders per customer and joins it to the statuses; only
customers whose status changes land in a temporary table, from which the history rows and
the status upserts are written. Evaluating the same date twice changes nothing.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum

from customers.loyalty.sql import (
    TABLES,
    add_months,
    end_of_day,
    literal,
    on_postgres,
    param,
    settings_lock,
)
from customers.loyalty.tier_writes import tier_changes_write
from customers.models import LoyaltySettings, LoyaltyTier, Order, net_revenue

EVAL = "loyalty_tier_eval"
ACTIONS = ("upgrade", "downgrade", "renew", "warn", "clear")


@dataclass(frozen=True)
class TierEvaluation:
    """What one evaluation changed: customers per action (``keep`` is not counted)."""

    as_of: date
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def upgraded(self) -> int:
        return self.counts.get("upgrade", 0)

    @property
    def downgraded(self) -> int:
        return self.counts.get("downgrade", 0)

    @property
    def flagged(self) -> int:
        return self.counts.get("warn", 0)


def tiers_evaluate(as_of: date) -> TierEvaluation:
    """Evaluate every customer's tier as of the end of ``as_of`` (see the module's rules)."""
    with transaction.atomic(durable=True):
        rules = settings_lock()
        tiers = list(LoyaltyTier.objects.order_by("-rank"))
        if not tiers:
            return TierEvaluation(as_of)
        with connection.cursor() as cursor:
            if on_postgres():
                # The window's aggregate groups up to a million customers: keep it in memory.
                cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(f"DROP TABLE IF EXISTS {EVAL}")
            sql, params = _eval_sql(as_of, rules, tiers)
            cursor.execute(sql, params)
            cursor.execute(f"SELECT action, COUNT(*) FROM {EVAL} GROUP BY action")
            counts = dict(cursor.fetchall())
            tier_changes_write(cursor, EVAL, as_of, rules, tiers, counts)
            cursor.execute(f"DROP TABLE {EVAL}")
    return TierEvaluation(as_of, counts)


def window_activity_sql(as_of: date) -> tuple[str, tuple[Any, ...]]:
    """SQL (and params) of ``(customer_id, spend, orders)`` over the 12 months to ``as_of``:
    net revenue and number of the completed orders."""
    start = end_of_day(add_months(as_of, -12))
    window = Order.objects.filter(
        status=Order.Status.COMPLETED, placed_at__gte=start, placed_at__lt=end_of_day(as_of)
    )
    query = (
        window.order_by()
        .values("customer_id")
        .annotate(spend=Sum(net_revenue()), orders=Count("*"))
    )
    return query.query.sql_with_params()


def _qualified_rank(tiers: list[LoyaltyTier]) -> str:
    """CASE giving the best rank whose thresholds ``a.spend`` / ``a.orders`` meet."""
    whens = []
    for tier in tiers:  # best first
        tests = []
        if tier.min_spend is not None:
            tests.append(f"a.spend >= {literal(tier.min_spend)}")
        if tier.min_orders is not None:
            tests.append(f"a.orders >= {literal(int(tier.min_orders))}")
        joiner = " AND " if tier.qualify_on == LoyaltyTier.QualifyOn.ALL else " OR "
        whens.append(f"WHEN ({joiner.join(tests)}) THEN {literal(tier.rank)}")
    return f"CASE {' '.join(whens)} END"


def _rank_of(column: str, tiers: list[LoyaltyTier]) -> str:
    whens = " ".join(f"WHEN {literal(t.pk)} THEN {literal(t.rank)}" for t in tiers)
    return f"CASE {column} {whens} END"


def _step_down(column: str, tiers: list[LoyaltyTier]) -> str:
    """CASE giving the rank one tier below ``column``'s rank (NULL below the lowest)."""
    ranks = [t.rank for t in tiers]  # best first
    whens = " ".join(
        f"WHEN {literal(upper)} THEN {literal(lower)}" for upper, lower in pairwise(ranks)
    )
    return f"CASE {column} {whens} END" if whens else "NULL"


def _eval_sql(
    as_of: date, rules: LoyaltySettings, tiers: list[LoyaltyTier]
) -> tuple[str, list[Any]]:
    """CREATE the temporary table of customers whose status changes, with the action."""
    activity, activity_params = window_activity_sql(as_of)
    downgrade_due = as_of - timedelta(days=rules.grace_days)
    warn_from = downgrade_due + timedelta(days=rules.warning_days)
    below = "(q IS NULL OR q < cur)"
    new_rank = (
        "q"
        if rules.downgrade_policy == LoyaltySettings.DowngradePolicy.SUPPORTED
        else _step_down("cur", tiers)
    )
    sql = f"""
        CREATE TEMP TABLE {EVAL} AS
        SELECT * FROM (
            SELECT customer_id, spend, orders, old_tier_id, tier_since, review_on,
                   downgrade_on, downgrade_flagged_on,
                   CASE
                       WHEN q IS NOT NULL AND (cur IS NULL OR q > cur) THEN 'upgrade'
                       WHEN cur IS NOT NULL AND {below} AND review_on <= %s THEN 'downgrade'
                       WHEN cur IS NOT NULL AND {below} AND review_on <= %s THEN 'warn'
                       WHEN cur IS NOT NULL AND q = cur AND review_on <= %s THEN 'renew'
                       WHEN downgrade_on IS NOT NULL THEN 'clear'
                       ELSE 'keep'
                   END AS action,
                   CASE WHEN q IS NOT NULL AND (cur IS NULL OR q > cur) THEN q
                        ELSE {new_rank} END AS new_rank
            FROM (
                SELECT COALESCE(a.customer_id, s.customer_id) AS customer_id,
                       COALESCE(a.spend, 0) AS spend, COALESCE(a.orders, 0) AS orders,
                       s.tier_id AS old_tier_id, s.tier_since, s.review_on,
                       s.downgrade_on, s.downgrade_flagged_on,
                       {_qualified_rank(tiers)} AS q,
                       {_rank_of("s.tier_id", tiers)} AS cur
                FROM ({activity}) a
                FULL OUTER JOIN {TABLES["status"]} s ON s.customer_id = a.customer_id
            ) joined
        ) decided
        WHERE action <> 'keep'
    """
    params = [param(downgrade_due), param(warn_from), param(as_of), *activity_params]
    return sql, params
