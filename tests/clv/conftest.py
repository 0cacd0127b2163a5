"""Fixtures for the CLV mathematics tests: the CDNOW reference data in shared/data."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from customers.clv import RFMSummary, rfm_summary

CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"


def shared_data_dir() -> Path:
    """shared/data beside the repository, or $CLVCRM_SHARED_DATA."""
    env = os.environ.get("CLVCRM_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data"


@dataclass(frozen=True)
class Transactions:
    customer: NDArray[np.int64]
    day: NDArray[np.datetime64]
    value: NDArray[np.float64]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data_dir()
    assert (path / "CDNOW_sample.txt").is_file(), f"CDNOW data not found in {path}"
    return path


@pytest.fixture(scope="session")
def cdnow_transactions(data_dir: Path) -> Transactions:
    raw = np.loadtxt(data_dir / "CDNOW_sample.txt", dtype=str)
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
def cdnow_reference(data_dir: Path) -> np.ndarray:
    """Hardie's published summary: columns ID, x, t_x, T, zbar (weeks, USD)."""
    return np.genfromtxt(
        data_dir / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True
    )


@pytest.fixture(scope="session")
def cdnow_reference_plain(data_dir: Path) -> np.ndarray:
    """cdnow_customers_summary.csv: columns ID, frequency, recency, T."""
    return np.genfromtxt(data_dir / "cdnow_customers_summary.csv", delimiter=",", names=True)
