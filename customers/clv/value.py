"""Customer lifetime value: predicted (model-based, discounted) and historical."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from customers.clv._fitting import compress_rows
from customers.clv.bgnbd import (
    BGNBDFit,
    BGNBDParams,
    future_purchases_if_alive,
    probability_alive,
)
from customers.clv.summary import DAYS_PER_UNIT, DayLike, day_number

__all__ = [
    "DAYS_PER_YEAR",
    "HistoricalCLV",
    "expected_purchases_by_month",
    "historical_clv",
    "predicted_clv",
]

DAYS_PER_YEAR = 365.25


def expected_purchases_by_month(
    params: BGNBDParams | BGNBDFit,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    *,
    months: int = 12,
    days_per_month: float = 30.0,
) -> NDArray[np.float64]:
    """Expected repeat purchases in each of the next ``months`` months, per customer.

    frequency, recency, age: float64 (n,), in the fitted model's time unit
    (``params.time_unit``). A month is ``days_per_month`` days (30 as in lifetimes'
    ``customer_lifetime_value`` with freq "D"), converted to the model's unit
    (lifetimes' freq "W" uses 4.345 weeks, i.e. days_per_month=30.415).
    Returns float64 (n, months): column i-1 is E[purchases by end of month i] minus
    E[purchases by end of month i-1].
    """
    p = params.params if isinstance(params, BGNBDFit) else params
    month = days_per_month / DAYS_PER_UNIT[p.time_unit]
    ends = month * np.arange(0, months + 1, dtype=np.float64)
    x = np.asarray(frequency, dtype=np.float64).ravel()
    t_age = np.asarray(age, dtype=np.float64).ravel()
    alive = probability_alive(p, x, np.asarray(recency, dtype=np.float64).ravel(), t_age)
    # The future-purchase factor depends on (x, T) only: evaluate it on the distinct
    # pairs and the month grid, then spread it over the customers.
    pairs = compress_rows((x, t_age), with_inverse=True)
    assert pairs.inverse is not None
    (vx, va), (cx, ca) = pairs.values, pairs.codes
    future = future_purchases_if_alive(p, ends[None, :], vx[cx][:, None], va[ca][:, None])
    cumulative = alive[:, None] * future[pairs.inverse]
    return np.diff(cumulative, axis=1)


def predicted_clv(
    params: BGNBDParams | BGNBDFit,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    order_value: ArrayLike,
    *,
    months: int = 12,
    discount_rate: float = 0.01,
    margin: float = 1.0,
    days_per_month: float = 30.0,
) -> NDArray[np.float64]:
    """Discounted expected value of each customer's purchases over the next ``months``.

    CLV_n = sum_{i=1..months} (E[X(i m)] - E[X((i-1) m)]) * order_value_n * margin
    / (1 + discount_rate)^i, with E[X(t)] the model's conditional expected purchases
    and m one month of ``days_per_month`` days in the model's time unit: the
    definition of lifetimes' ``customer_lifetime_value`` and pymc-marketing.

    frequency, recency, age: float64 (n,) in ``params.time_unit``.
    order_value: float64 (n,) (or scalar), expected value per order in currency,
        e.g. ``conditional_expected_order_value`` of a Gamma-Gamma fit.
    discount_rate: per month (0.01 = 1% a month). margin: profit share of revenue.
    Returns float64 (n,), currency.
    """
    per_month = expected_purchases_by_month(
        params, frequency, recency, age, months=months, days_per_month=days_per_month
    )
    discount = (1.0 + discount_rate) ** -np.arange(1, months + 1, dtype=np.float64)
    value = np.asarray(order_value, dtype=np.float64) * margin
    clv: NDArray[np.float64] = np.einsum("ij,j->i", per_month, discount) * value  # einsum: Any
    return clv


@dataclass(frozen=True)
class HistoricalCLV:
    """Historical CLV per customer and for the whole shop (see ``historical_clv``).

    Per customer, float64 (n,): value_to_date (currency), average_order_value
    (currency), orders, lifetime_years (observed), churned (bool), clv_minus_cac
    (currency; nan where the CAC is unknown).
    Shop-level floats: average_order_value (currency per order), purchase_frequency
    (orders per customer-year), churn_rate (per year), lifespan_years, clv
    (currency per customer), cac (mean known CAC, nan if none), clv_minus_cac.
    """

    value_to_date: NDArray[np.float64]
    average_order_value: NDArray[np.float64]
    orders: NDArray[np.float64]
    lifetime_years: NDArray[np.float64]
    churned: NDArray[np.bool_]
    clv_minus_cac: NDArray[np.float64]
    shop_average_order_value: float
    shop_purchase_frequency: float
    shop_churn_rate: float
    shop_lifespan_years: float
    shop_clv: float
    shop_cac: float
    shop_clv_minus_cac: float


def historical_clv(
    first_day: ArrayLike,
    last_day: ArrayLike,
    orders: ArrayLike,
    total_value: ArrayLike,
    *,
    as_of: DayLike,
    churn_after_days: int = 365,
    margin: float = 1.0,
    cac: ArrayLike | None = None,
    lifespan_years: float | None = None,
) -> HistoricalCLV:
    """Historical CLV "as the shop owner knows it": AOV x purchase frequency x lifespan.

    first_day, last_day: int (n,), days since 1970-01-01 of each customer's first
        and last order (or datetime64[D]).
    orders: (n,) number of orders (purchase days) so far, >= 1.
    total_value: float64 (n,), revenue so far, currency.
    as_of: the day of the computation. A customer has churned when their last order
        is more than ``churn_after_days`` days before ``as_of``.
    margin: profit share of revenue applied to every value.
    cac: optional float64 (n,) or scalar acquisition cost per customer (nan = unknown).
    lifespan_years: optional override of the shop's expected customer lifespan.

    Definitions (years are 365.25 days):
    - observed lifetime of a customer: last - first order for churned customers,
      as_of - first order for active ones (still running: censored).
    - per customer: AOV_n = value_n / orders_n; purchase frequency_n = orders_n /
      lifetime_n; so AOV x frequency x observed lifetime = value to date, which is
      the historical CLV of a customer: ``value_to_date`` = total_value * margin.
    - shop AOV = sum(value) / sum(orders); shop purchase frequency = sum(orders) /
      sum(lifetime years), orders per customer-year; shop churn rate = churned
      customers / sum(lifetime years), per year (the censored-exponential estimate);
      lifespan = 1 / churn rate (inf when nobody churned, unless overridden);
      shop CLV = AOV * frequency * lifespan * margin (per customer).
    - clv_minus_cac = value_to_date - cac per customer; shop: shop CLV - mean known CAC.
    """
    first = np.asarray(first_day)
    last = np.asarray(last_day)
    if np.issubdtype(first.dtype, np.datetime64):
        first = first.astype("datetime64[D]").astype(np.int64)
    if np.issubdtype(last.dtype, np.datetime64):
        last = last.astype("datetime64[D]").astype(np.int64)
    n_orders = np.asarray(orders, dtype=np.float64)
    value = np.asarray(total_value, dtype=np.float64)
    today = day_number(as_of)
    if np.any(last < first) or np.any(last > today):
        raise ValueError("need first_day <= last_day <= as_of")
    if np.any(n_orders < 1):
        raise ValueError("every customer needs at least one order")

    churned = (today - last) > churn_after_days
    lifetime_days = np.where(churned, last - first, today - first).astype(np.float64)
    lifetime_years = lifetime_days / DAYS_PER_YEAR
    value_to_date = value * margin
    aov = value / n_orders

    exposure = float(lifetime_years.sum())
    total_orders = float(n_orders.sum())
    shop_aov = float(value.sum()) / total_orders if total_orders else float("nan")
    frequency = float(n_orders.sum()) / exposure if exposure > 0 else float("nan")
    n_churned = int(churned.sum())
    churn_rate = n_churned / exposure if exposure > 0 else float("nan")
    if lifespan_years is not None:
        lifespan = float(lifespan_years)
    elif n_churned == 0:
        lifespan = float("inf")
    else:
        lifespan = 1.0 / churn_rate
    shop_clv = shop_aov * frequency * lifespan * margin

    if cac is None:
        cac_arr = np.full(value.shape, np.nan)
    else:
        cac_arr = np.broadcast_to(np.asarray(cac, dtype=np.float64), value.shape)
    known = np.isfinite(cac_arr)
    shop_cac = float(cac_arr[known].mean()) if known.any() else float("nan")
    return HistoricalCLV(
        value_to_date=value_to_date,
        average_order_value=aov,
        orders=n_orders,
        lifetime_years=lifetime_years,
        churned=churned,
        clv_minus_cac=value_to_date - cac_arr,
        shop_average_order_value=shop_aov,
        shop_purchase_frequency=frequency,
        shop_churn_rate=churn_rate,
        shop_lifespan_years=lifespan,
        shop_clv=shop_clv,
        shop_cac=shop_cac,
        shop_clv_minus_cac=shop_clv - shop_cac,
    )
