"""Fixtures shared by the customers tests."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.datasets import cdnow_to_orders_csv, data_file


@pytest.fixture
def cdnow_sample(tmp_path: Path) -> None:
    """The CDNOW sample (2,357 customers) imported through the real command."""
    path = tmp_path / "cdnow_sample.csv"
    cdnow_to_orders_csv(data_file("CDNOW_sample.txt"), path, sample=True)
    call_command("import_orders", str(path), stdout=StringIO())
