"""Fixtures for the CLV mathematics tests: the CDNOW reference data in tests/data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from numpy.typing import NDArray

from customers.clv import RFMSummary, rfm_summary
from tests.datasets import data_file

CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"


@dataclass(frozen=True)
class Transactions:
    customer: NDArray[np.int64]
    day: NDArray[np.datetime64]
    value: NDArray[np.float64]


@pytest.fixture(scope="session")
def cdnow_transactions() -> Transactions:
    raw = np.loadtxt(data_file("CDNOW_sample.txt"), dtype=str)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    return Transactions(raw[:, 1].astype(np.int64), dates, raw[:, 4].astype(np.float64))


@pytest.fixture(scope="session")
def cdnow_summary(cdnow_transactions: Transactions) -> RFMSummary:
    """Calibration summary in weeks with the holdout counts, from the raw transactions."""
    tx = cdnow_transactions
    return rfm_summary(
        tx.customer,
        tx.day,
        tx.value,
        as_of=HOLDOUT_END,
        calibration_end=CALIBRATION_END,
        time_unit="W",
    )


@pytest.fixture(scope="session")
def cdnow_reference() -> np.ndarray:
    """Hardie's published summary: columns ID, x, t_x, T, zbar (weeks, USD)."""
    return np.genfromtxt(
        data_file("cdnow_customers_summary_with_transactions.csv"), delimiter=",", names=True
    )


@pytest.fixture(scope="session")
def cdnow_reference_plain() -> np.ndarray:
    """cdnow_customers_summary.csv: columns ID, frequency, recency, T."""
    return np.genfromtxt(data_file("cdnow_customers_summary.csv"), delimiter=",", names=True)
