"""RFM quintile scores (1 = worst fifth, 5 = best fifth)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["RFMScores", "quintile_scores", "rfm_scores"]


@dataclass(frozen=True)
class RFMScores:
    """int64 (n,) scores 1..5 for recency, frequency, monetary; combined = 100R + 10F + M."""

    recency: NDArray[np.int64]
    frequency: NDArray[np.int64]
    monetary: NDArray[np.int64]
    combined: NDArray[np.int64]


def quintile_scores(values: ArrayLike) -> NDArray[np.int64]:
    """Quintile score 1..5 of each value, higher value = higher score.

    values: float64 (n,). Score = ceil(5 * rank / n) with average ranks for ties (as
    scipy.stats.rankdata's method "average"), so equal values always get the same
    score and the result does not depend on input order. Returns int64 (n,).
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError("values must be 1-D")
    if v.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite")
    ranks = average_ranks(v)
    return np.clip(np.ceil(5.0 * ranks / v.size), 1, 5).astype(np.int64)


def average_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1-based ranks of ``values`` (n,), ties sharing the mean of their ranks.

    Plain numpy: importing scipy.stats for rankdata alone costs half a second at start-up.
    """
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    last_rank = np.cumsum(counts)
    return (last_rank - (counts - 1) / 2.0)[inverse]


def rfm_scores(
    days_since_last_purchase: ArrayLike, frequency: ArrayLike, monetary: ArrayLike
) -> RFMScores:
    """RFM quintile scores per customer.

    days_since_last_purchase: float64 (n,), days from last purchase to today (smaller
        = more recent = higher recency score).
    frequency: float64 (n,), number of purchases (or repeat purchases).
    monetary: float64 (n,), spend (total or average, currency).
    Returns RFMScores with int64 (n,) arrays; ``combined`` reads like 545.
    """
    rec = quintile_scores(-np.asarray(days_since_last_purchase, dtype=np.float64))
    freq = quintile_scores(frequency)
    mon = quintile_scores(monetary)
    if not rec.shape == freq.shape == mon.shape:
        raise ValueError("all inputs must have the same length")
    return RFMScores(rec, freq, mon, 100 * rec + 10 * freq + mon)
