"""RFM quintile scores (1 = worst fifth, 5 = best fifth)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "RFMBreakpoints",
    "RFMScores",
    "quintile_breakpoints",
    "quintile_scores",
    "quintile_scores_at",
    "rfm_breakpoints",
    "rfm_scores",
]

QUINTILES = 5


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
    v = _finite_1d(values)
    return quintile_scores_at(v, quintile_breakpoints(v))


def quintile_breakpoints(values: ArrayLike) -> NDArray[np.float64]:
    """The four cut points of ``quintile_scores`` over ``values`` (float64 (n,)).

    Returns float64 (4,): element k-1 is the largest value scoring at most k (-inf when
    no value does). A value's score is 1 + the number of cut points below it, so any part
    of the population can be scored later with the ranks of the whole (``quintile_scores_at``)
    — which is how customer-id ranges are scored on separate workers.
    """
    v = _finite_1d(values)
    cuts = np.full(QUINTILES - 1, -np.inf)
    if v.size == 0:
        return cuts
    distinct, _, average_rank = _distinct_ranks(v)
    score = np.clip(np.ceil(QUINTILES * average_rank / v.size), 1, QUINTILES)
    for k in range(1, QUINTILES):
        at_most_k = distinct[score <= k]  # scores rise with the value
        if at_most_k.size:
            cuts[k - 1] = at_most_k[-1]
    return cuts


def quintile_scores_at(values: ArrayLike, breakpoints: ArrayLike) -> NDArray[np.int64]:
    """Scores 1..5 of ``values`` (float64 (n,)) against ``quintile_breakpoints`` (4,).

    Values taken from the population the cut points came from get exactly the score
    ``quintile_scores`` gives them within that population. Returns int64 (n,).
    """
    v = _finite_1d(values)
    cuts = np.asarray(breakpoints, dtype=np.float64)
    if cuts.shape != (QUINTILES - 1,):
        raise ValueError(f"breakpoints must have shape ({QUINTILES - 1},)")
    return 1 + np.searchsorted(cuts, v, side="left").astype(np.int64)


def _finite_1d(values: ArrayLike) -> NDArray[np.float64]:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError("values must be 1-D")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite")
    return v


def average_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1-based ranks of ``values`` (n,), ties sharing the mean of their ranks.

    Plain numpy: importing scipy.stats for rankdata alone costs half a second at start-up.
    """
    _, inverse, average_rank = _distinct_ranks(values)
    return average_rank[inverse]


def _distinct_ranks(
    values: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.float64]]:
    """Distinct values (sorted), each value's index among them, and their average ranks."""
    distinct, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    last_rank = np.cumsum(counts)
    return distinct, inverse, last_rank - (counts - 1) / 2.0


@dataclass(frozen=True)
class RFMBreakpoints:
    """Quintile cut points (float64 (4,) each) of the whole customer base, as
    ``quintile_breakpoints`` returns them; recency is cut on minus the days since the
    last purchase, so that a more recent purchase scores higher."""

    recency: NDArray[np.float64]
    frequency: NDArray[np.float64]
    monetary: NDArray[np.float64]


def rfm_breakpoints(
    days_since_last_purchase: ArrayLike, frequency: ArrayLike, monetary: ArrayLike
) -> RFMBreakpoints:
    """Cut points of the RFM quintiles over every customer (arguments as ``rfm_scores``)."""
    return RFMBreakpoints(
        recency=quintile_breakpoints(-np.asarray(days_since_last_purchase, dtype=np.float64)),
        frequency=quintile_breakpoints(frequency),
        monetary=quintile_breakpoints(monetary),
    )


def rfm_scores(
    days_since_last_purchase: ArrayLike,
    frequency: ArrayLike,
    monetary: ArrayLike,
    breakpoints: RFMBreakpoints | None = None,
) -> RFMScores:
    """RFM quintile scores per customer.

    days_since_last_purchase: float64 (n,), days from last purchase to today (smaller
        = more recent = higher recency score).
    frequency: float64 (n,), number of purchases (or repeat purchases).
    monetary: float64 (n,), spend (total or average, currency).
    breakpoints: the quintiles of the whole customer base when these customers are only
        part of it (default: the quintiles of these customers).
    Returns RFMScores with int64 (n,) arrays; ``combined`` reads like 545.
    """
    if breakpoints is None:
        breakpoints = rfm_breakpoints(days_since_last_purchase, frequency, monetary)
    rec = quintile_scores_at(
        -np.asarray(days_since_last_purchase, dtype=np.float64), breakpoints.recency
    )
    freq = quintile_scores_at(frequency, breakpoints.frequency)
    mon = quintile_scores_at(monetary, breakpoints.monetary)
    if not rec.shape == freq.shape == mon.shape:
        raise ValueError("all inputs must have the same length")
    return RFMScores(rec, freq, mon, 100 * rec + 10 * freq + mon)
