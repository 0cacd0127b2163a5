"""Weighted random choice that stays fast in a tight loop.

``Generator.choice`` re-validates its probabilities on every call (tens of microseconds);
the demo draws tens of thousands of categories and products, so the cumulative weights
are computed once and each draw is one uniform number and a binary search.
"""

from bisect import bisect_right
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


class WeightedChoice:
    """Draw indices 0..n-1 with probability proportional to ``weights`` (all >= 0)."""

    def __init__(self, weights: Sequence[float] | NDArray[np.float64]) -> None:
        cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
        if cumulative.size == 0 or cumulative[-1] <= 0:
            raise ValueError("need at least one positive weight")
        # Normalised so the last bound is exactly 1.0 and a uniform draw in [0, 1) always
        # lands on an index with a positive weight.
        self._cumulative = cumulative / cumulative[-1]
        # A list of Python floats: bisect beats numpy's per-call overhead for one draw.
        self._bounds: list[float] = self._cumulative.tolist()

    def __len__(self) -> int:
        return len(self._bounds)

    def draw(self, rng: np.random.Generator) -> int:
        """One index."""
        return bisect_right(self._bounds, rng.random())

    def draw_many(self, rng: np.random.Generator, size: int) -> NDArray[np.intp]:
        """``size`` independent indices, int array (size,)."""
        return np.searchsorted(self._cumulative, rng.random(size), side="right")
