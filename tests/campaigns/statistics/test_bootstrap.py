"""The percentile bootstrap: the resampled means have the bootstrap's exact distribution."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from campaigns.statistics import bootstrap_interval
from campaigns.statistics.bootstrap import _segment_sums, resampled_means


@pytest.mark.parametrize("values", [[0.0, 0.0, 0.0, 5.0], [0.0, 1.0, 3.0], [2.0, 2.0, 0.0, 7.0]])
def test_resampled_means_follow_the_exact_bootstrap_distribution(values):
    values = np.array(values)
    n = values.size
    # Every one of the n^n equally likely resamples, enumerated.
    exact = Counter(
        round(float(np.mean(values[list(draw)])), 9)
        for draw in itertools.product(range(n), repeat=n)
    )
    draws = 200_000
    drawn = Counter(np.round(resampled_means(values, draws, np.random.default_rng(3)), 9))
    assert set(drawn) <= set(exact)
    for mean, count in exact.items():
        probability = count / n**n
        tolerance = 4 * np.sqrt(probability * (1 - probability) / draws)
        assert drawn[mean] / draws == pytest.approx(probability, abs=tolerance)


def test_resampled_means_of_skewed_revenue_have_the_plug_in_spread():
    rng = np.random.default_rng(5)
    values = np.where(rng.random(20_000) < 0.05, rng.lognormal(3, 1, 20_000), 0.0)
    means = resampled_means(values, 20_000, np.random.default_rng(6))
    assert means.mean() == pytest.approx(values.mean(), rel=0.002)
    assert means.std() == pytest.approx(values.std() / np.sqrt(values.size), rel=0.02)


def test_constant_values_resample_to_themselves():
    assert resampled_means(np.full(4, 2.5), 10, np.random.default_rng(0)).tolist() == [2.5] * 10


def test_percentile_interval_of_a_difference():
    # Treatment 1, 1, 1, 1 against control 0, 0, 0, 0: every resample differs by exactly 1.
    assert bootstrap_interval(np.ones(4), np.zeros(4), confidence=0.9, resamples=50, seed=1) == (
        1.0,
        1.0,
    )
    rng = np.random.default_rng(2)
    a_t, a_c = rng.normal(1.0, 1.0, 5_000), rng.normal(0.0, 1.0, 5_000)
    low, high = bootstrap_interval(a_t, a_c, confidence=0.95, resamples=4_000, seed=3)
    error = np.sqrt(a_t.var() / a_t.size + a_c.var() / a_c.size)
    difference = a_t.mean() - a_c.mean()
    assert low == pytest.approx(difference - 1.96 * error, abs=0.1 * error)
    assert high == pytest.approx(difference + 1.96 * error, abs=0.1 * error)


def test_segment_sums_with_empty_runs_anywhere():
    values = np.array([1.0, 2.0, 4.0, 8.0])
    lengths = np.array([0, 1, 0, 2, 0, 1, 0])
    assert _segment_sums(values, lengths).tolist() == [0.0, 1.0, 0.0, 6.0, 0.0, 8.0, 0.0]
    assert _segment_sums(np.array([]), np.array([0, 0])).tolist() == [0.0, 0.0]
