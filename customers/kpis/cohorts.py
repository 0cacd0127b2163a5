"""Monthly acquisition cohorts: who still orders, and what they have brought in.

A cohort is the customers acquired in one calendar month; month k of a cohort is the k-th
calendar month after it (k = 0: the acquisition month itself; see
:func:`customers.kpis.periods.months_after`). The caller counts, set-based, per cohort c and
month k; these functions turn the counts into the matrices a heatmap and a line chart show.

Cells that cannot be known are ``None``: a month the data does not reach yet (k at or past
``observed[c]``) and every cell of an empty cohort. The matrices are nested lists (JSON and
plotly take ``None`` as a gap), never NaN.
"""

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

Matrix = list[list[float | None]]


def cohort_retention(sizes: ArrayLike, ordered: ArrayLike, observed: ArrayLike) -> Matrix:
    """Cohort retention matrix, in percent: customers of cohort c who ordered in month k ÷
    the cohort's size × 100.

    sizes: int (c,), customers acquired in each cohort's month. ordered: int (c, k), of them
    the customers with at least one order in month k after acquisition (each customer counted
    once per month, however many orders). observed: int (c,), the months of each cohort the
    data covers (month k is known for k < observed[c]; the current, unfinished month counts).
    Returns (c, k) percentages; ``None`` where unknown.
    """
    size, counts, known = _checked(sizes, ordered, observed)
    if (counts > size[:, None]).any():
        raise ValueError("more customers ordered in a month than the cohort holds")
    shares = 100.0 * counts / np.maximum(size, 1)[:, None]
    return _masked(shares, known)


def cohort_cumulative_revenue(sizes: ArrayLike, revenue: ArrayLike, observed: ArrayLike) -> Matrix:
    """Cumulative revenue per customer of each cohort: the revenue of months 0..k of cohort c
    ÷ the cohort's size (shop currency per acquired customer).

    sizes: int (c,). revenue: float (c, k), the cohort's revenue in month k after acquisition
    (net of refunds, completed orders). observed: int (c,), as in :func:`cohort_retention`.
    Returns (c, k); ``None`` where unknown.
    """
    size, money, known = _checked(sizes, revenue, observed)
    per_customer = np.cumsum(money, axis=1) / np.maximum(size, 1)[:, None]
    return _masked(per_customer, known)


def _checked(
    sizes: ArrayLike, cells: ArrayLike, observed: ArrayLike
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.bool_]]:
    """The inputs as arrays of matching shapes (the cells as floats: counts are exact in a
    double far beyond any shop's size), and which cells are known."""
    size = np.asarray(sizes, dtype=np.int64).reshape(-1)
    values = np.asarray(cells, dtype=np.float64)
    if values.size == 0 and size.size == 0:
        values = values.reshape(0, 0)
    months = np.asarray(observed, dtype=np.int64).reshape(-1)
    if values.ndim != 2 or values.shape[0] != size.size or months.size != size.size:
        raise ValueError("expected sizes (c,), cells (c, k) and observed (c,)")
    if (size < 0).any() or (months < 0).any() or (values < 0).any():
        raise ValueError("sizes, counts and observed months cannot be negative")
    columns = np.arange(values.shape[1])
    known = (columns[None, :] < months[:, None]) & (size[:, None] > 0)
    return size, values, known


def _masked(values: NDArray[np.float64], known: NDArray[np.bool_]) -> Matrix:
    rows: Sequence[Sequence[float]] = values.tolist()
    flags: Sequence[Sequence[bool]] = known.tolist()
    return [
        [value if flag else None for value, flag in zip(row, row_flags, strict=True)]
        for row, row_flags in zip(rows, flags, strict=True)
    ]
