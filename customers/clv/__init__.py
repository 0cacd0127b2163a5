"""Customer-lifetime-value mathematics: pure numpy/scipy, no Django.

Arrays in, frozen dataclasses or arrays out. Typical flow::

    s = rfm_summary(customer, day, value, as_of=today, time_unit="D")
    fit = fit_bgnbd(s.frequency, s.recency, s.age, time_unit="D")
    spend = fit_gamma_gamma(s.frequency, s.monetary)
    aov = conditional_expected_order_value(spend, s.frequency, s.monetary)
    clv = predicted_clv(fit, s.frequency, s.recency, s.age, aov)
"""

from customers.clv.backtest import Backtest, backtest
from customers.clv.bgnbd import (
    BGNBDFit,
    BGNBDParams,
    Model,
    bgnbd_log_likelihood,
    conditional_expected_purchases,
    expected_purchases,
    fit_bgnbd,
    future_purchases_if_alive,
    probability_alive,
)
from customers.clv.gamma_gamma import (
    GammaGammaFit,
    GammaGammaParams,
    conditional_expected_order_value,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from customers.clv.rfm import (
    RFMBreakpoints,
    RFMScores,
    quintile_breakpoints,
    quintile_scores,
    quintile_scores_at,
    rfm_breakpoints,
    rfm_scores,
)
from customers.clv.summary import (
    DAYS_PER_UNIT,
    RFMSummary,
    TimeUnit,
    day_number,
    repeat_purchases_per_period,
    rfm_summary,
)
from customers.clv.value import (
    HistoricalCLV,
    expected_purchases_by_month,
    historical_clv,
    predicted_clv,
)

__all__ = [
    "DAYS_PER_UNIT",
    "BGNBDFit",
    "BGNBDParams",
    "Backtest",
    "GammaGammaFit",
    "GammaGammaParams",
    "HistoricalCLV",
    "Model",
    "RFMBreakpoints",
    "RFMScores",
    "RFMSummary",
    "TimeUnit",
    "backtest",
    "bgnbd_log_likelihood",
    "conditional_expected_order_value",
    "conditional_expected_purchases",
    "day_number",
    "expected_purchases",
    "expected_purchases_by_month",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "future_purchases_if_alive",
    "gamma_gamma_log_likelihood",
    "historical_clv",
    "predicted_clv",
    "probability_alive",
    "quintile_breakpoints",
    "quintile_scores",
    "quintile_scores_at",
    "repeat_purchases_per_period",
    "rfm_breakpoints",
    "rfm_scores",
    "rfm_summary",
]
