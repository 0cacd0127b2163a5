"""Multiple comparisons: Holm's step-down adjustment of p-values.

Holm (1979), "A simple sequentially rejective multiple test procedure", Scandinavian Journal
of Statistics 6, 65-70. With more than one variant each compared with the holdout, rejecting
every adjusted p-value below alpha keeps the family-wise error rate at alpha, without
Bonferroni's loss of power (statsmodels ``multipletests(method="holm")``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["holm_adjust"]


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the order given.

    With p_(1) <= ... <= p_(m) sorted, the adjusted p_(i) is
    max over j <= i of min(1, (m - j + 1) p_(j)). An empty sequence gives []; one p-value is
    returned unchanged. Raises ValueError for a p-value outside [0, 1] or not a number.
    """
    values = np.array([float(p) for p in p_values], dtype=np.float64)
    if not all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in values):
        raise ValueError(f"p-values must be numbers in [0, 1], got {list(p_values)!r}")
    m = values.size
    order = np.argsort(values, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * values[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return [float(p) for p in adjusted]
