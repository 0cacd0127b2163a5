"""Fixtures of the feedback tests."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def rate_counters_cleared():
    """The answer page counts submissions in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()
