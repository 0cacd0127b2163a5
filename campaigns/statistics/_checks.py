"""Validation of the outside values every statistic takes: counts, levels, arrays."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from numpy.typing import NDArray
from scipy import stats

__all__ = ["check_count", "check_level", "check_values", "normal_quantile"]


def check_count(value: object, name: str) -> int:
    """An int >= 0 (numpy integers too; bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def check_level(value: object, name: str) -> float:
    """A probability strictly between 0 and 1 (a confidence level or a significance level)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def check_values(values: object, name: str) -> NDArray[np.float64]:
    """A 1-D array of finite floats (one value per customer); may be empty."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers only")
    return array


def normal_quantile(confidence: float) -> float:
    """z such that a standard normal lies in [-z, z] with probability ``confidence``."""
    z = float(stats.norm.isf((1.0 - confidence) / 2.0))
    assert math.isfinite(z)
    return z
