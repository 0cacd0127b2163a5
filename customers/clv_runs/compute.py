"""Fit the models on the purchase history and score every customer, vectorised.

Recency and age ("T") are in the run's time unit (weeks by default, as in the BTYD
literature; days optional), and so is alpha of the fitted BG/NBD. Predictions do not
depend on the unit. Money is float here and becomes Decimal only when stored.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from customers import clv
from customers.clv_runs.aggregate import PurchaseHistory

PREDICTION_DAYS = 90


@dataclass(frozen=True)
class ScoringSettings:
    """How a run fits and values customers (stored on the ClvRun for reproducibility)."""

    model: clv.Model = "bgnbd"
    time_unit: clv.TimeUnit = "W"
    horizon_months: int = 12
    monthly_discount_rate: float = 0.01
    margin: float = 1.0
    fit_sample_size: int | None = None
    min_repeat_customers: int = 200


@dataclass(frozen=True)
class Summary:
    """The BTYD summary of each customer, float64 arrays (n,): frequency in purchase
    days, recency and age in the time unit, monetary in currency."""

    frequency: NDArray[np.float64]
    recency: NDArray[np.float64]
    age: NDArray[np.float64]
    monetary: NDArray[np.float64]

    @property
    def repeat_customers(self) -> int:
        return int(np.count_nonzero(self.frequency))


@dataclass(frozen=True)
class Prediction:
    """The fitted parameters a run predicts with (recorded on its ClvRun)."""

    bgnbd: clv.BGNBDParams
    gamma_gamma: clv.GammaGammaParams


@dataclass(frozen=True)
class Fits:
    """Fitted models, or why the prediction was skipped (``bgnbd`` may still be set)."""

    bgnbd: clv.BGNBDFit | None
    gamma_gamma: clv.GammaGammaFit | None
    skipped: str
    fitted_customers: int

    @property
    def prediction(self) -> Prediction | None:
        if self.skipped or self.bgnbd is None or self.gamma_gamma is None:
            return None
        return Prediction(self.bgnbd.params, self.gamma_gamma.params)


@dataclass(frozen=True)
class Scores:
    """Every score column, arrays (n,) aligned with ``PurchaseHistory.customer_id``.

    The prediction arrays are ``None`` when the run skipped the prediction.
    """

    summary: Summary
    p_alive: NDArray[np.float64] | None
    expected_purchases_90d: NDArray[np.float64] | None
    expected_order_value: NDArray[np.float64] | None
    predicted_clv: NDArray[np.float64] | None
    historical_clv: NDArray[np.float64]
    rfm: clv.RFMScores


def summarise(history: PurchaseHistory, as_of_day: int, time_unit: clv.TimeUnit) -> Summary:
    """BTYD summary as of the end of day ``as_of_day`` (days since 1970-01-01)."""
    days_per_unit = clv.DAYS_PER_UNIT[time_unit]
    frequency = (history.purchase_days - 1).astype(np.float64)
    repeat_value = history.total_value - history.first_day_value
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary: NDArray[np.float64] = np.where(  # np.where is typed Any
            frequency > 0, repeat_value / np.maximum(frequency, 1.0), 0.0
        )
    return Summary(
        frequency=frequency,
        recency=(history.last_day - history.first_day) / days_per_unit,
        age=(as_of_day - history.first_day) / days_per_unit,
        monetary=np.round(monetary, 2),
    )


def fit(summary: Summary, settings: ScoringSettings, seed: int) -> Fits:
    """Fit BG/NBD (or MBG/NBD) and Gamma-Gamma, on a random sample if one is configured.

    ``seed`` makes the sample reproducible (the caller derives it from the as-of date).
    Too few repeat buyers, a fit that does not converge, or a spend model without a
    finite mean skip the prediction; historical CLV and RFM are computed regardless.
    """
    chosen = _sample(len(summary.frequency), settings.fit_sample_size, seed)
    frequency, recency, age = (a[chosen] for a in (summary.frequency, summary.recency, summary.age))
    repeat = int(np.count_nonzero(frequency))
    if repeat < settings.min_repeat_customers:
        return Fits(
            None,
            None,
            f"only {repeat} repeat buyers; the models need at least "
            f"{settings.min_repeat_customers}",
            len(frequency),
        )
    bgnbd = clv.fit_bgnbd(
        frequency, recency, age, model=settings.model, time_unit=settings.time_unit
    )
    if not bgnbd.converged:
        return Fits(bgnbd, None, "the purchase model did not converge", len(frequency))
    spend = clv.fit_gamma_gamma(frequency, summary.monetary[chosen])
    if not spend.converged or not np.isfinite(spend.params.population_mean):
        return Fits(bgnbd, spend, "the spend model has no finite mean order value", len(frequency))
    return Fits(bgnbd, spend, "", len(frequency))


def _sample(n: int, size: int | None, seed: int) -> NDArray[np.intp] | slice:
    if size is None or size >= n:
        return slice(None)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def rfm_breakpoints(history: PurchaseHistory, as_of_day: int) -> clv.RFMBreakpoints:
    """The RFM quintile cut points of every customer in ``history``."""
    return clv.rfm_breakpoints(*_rfm_inputs(history, as_of_day))


def _rfm_inputs(
    history: PurchaseHistory, as_of_day: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    # Recency: days since the last purchase; monetary: mean value of a purchase day.
    return (
        as_of_day - history.last_day,
        history.purchase_days,
        history.total_value / history.purchase_days,
    )


def score(
    history: PurchaseHistory,
    summary: Summary,
    prediction: Prediction | None,
    settings: ScoringSettings,
    as_of_day: int,
    breakpoints: clv.RFMBreakpoints | None = None,
) -> Scores:
    """Score every customer: P(alive), expected purchases, predicted and historical CLV, RFM.

    ``prediction`` None scores without the models (historical CLV and RFM only).
    ``breakpoints`` are the RFM quintiles of the whole customer base when ``history``
    holds only part of it (a fan-out range); by default the quintiles of ``history``.
    """
    historical = clv.historical_clv(
        history.first_day,
        history.last_day,
        history.purchase_days,
        history.total_value,
        as_of=as_of_day,
        margin=settings.margin,
    )
    rfm = clv.rfm_scores(*_rfm_inputs(history, as_of_day), breakpoints=breakpoints)
    if prediction is None:
        return Scores(summary, None, None, None, None, historical.value_to_date, rfm)
    s = summary
    params = prediction.bgnbd
    order_value = clv.conditional_expected_order_value(
        prediction.gamma_gamma, s.frequency, s.monetary
    )
    return Scores(
        summary=s,
        p_alive=clv.probability_alive(params, s.frequency, s.recency, s.age),
        expected_purchases_90d=clv.conditional_expected_purchases(
            params,
            PREDICTION_DAYS / clv.DAYS_PER_UNIT[params.time_unit],
            s.frequency,
            s.recency,
            s.age,
        ),
        expected_order_value=order_value,
        predicted_clv=clv.predicted_clv(
            params,
            s.frequency,
            s.recency,
            s.age,
            order_value,
            months=settings.horizon_months,
            discount_rate=settings.monthly_discount_rate,
            margin=settings.margin,
        ),
        historical_clv=historical.value_to_date,
        rfm=rfm,
    )
