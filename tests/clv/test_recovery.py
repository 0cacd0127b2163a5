"""Parameter recovery: fit data simulated from known parameters (fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from customers.clv import fit_bgnbd, fit_gamma_gamma

N_CUSTOMERS = 30_000


def simulate_bgnbd(
    model: str,
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) of n customers, T ~ uniform(30, 78) weeks."""
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    t_age = rng.uniform(30.0, 78.0, n)
    k = rng.poisson(lam * t_age)  # purchases the customer would make if never dropping out
    # Purchases survived: BG/NBD can drop out after each repeat purchase (1, 2, ...),
    # MBG/NBD also right after the first purchase (0, 1, ...).
    survived = rng.geometric(p) - (1 if model == "mbgnbd" else 0)
    x = np.minimum(k, survived)
    tx = np.zeros(n)
    pos = x > 0
    # The x-th of k uniform purchase times on (0, T).
    tx[pos] = t_age[pos] * rng.beta(x[pos], k[pos] - x[pos] + 1)
    return x.astype(np.float64), tx, t_age


def assert_recovered(estimates, std_errors, truth, max_relative_se):
    for est, se, true in zip(estimates, std_errors, truth, strict=True):
        assert np.isfinite(se)
        assert se > 0
        # Not vacuous: the data pin each parameter down to a few percent.
        assert se / true < max_relative_se
        assert abs(est - true) < 4.0 * se, (est, true, se)


@pytest.mark.parametrize(
    ("model", "truth"),
    [("bgnbd", (0.25, 4.0, 0.8, 2.5)), ("mbgnbd", (0.5, 6.0, 0.9, 1.6))],
)
def test_bgnbd_recovers_parameters(model, truth):
    rng = np.random.default_rng(20240601 if model == "bgnbd" else 20240602)
    r, alpha, a, b = truth
    x, tx, t_age = simulate_bgnbd(model, N_CUSTOMERS, r, alpha, a, b, rng)
    fit = fit_bgnbd(x, tx, t_age, model=model, time_unit="W")
    assert fit.converged
    assert fit.model == model
    assert fit.n_customers == N_CUSTOMERS
    p = fit.params
    assert_recovered((p.r, p.alpha, p.a, p.b), fit.std_errors, truth, max_relative_se=0.15)


def test_wrong_model_is_worse():
    # Data from MBG/NBD (one-time buyers can be dead) fit better by MBG/NBD.
    rng = np.random.default_rng(11)
    x, tx, t_age = simulate_bgnbd("mbgnbd", N_CUSTOMERS, 0.5, 6.0, 0.9, 1.6, rng)
    bg = fit_bgnbd(x, tx, t_age, model="bgnbd")
    mbg = fit_bgnbd(x, tx, t_age, model="mbgnbd")
    assert mbg.log_likelihood > bg.log_likelihood + 20.0


def test_gamma_gamma_recovers_parameters():
    rng = np.random.default_rng(99)
    truth = (6.0, 3.8, 15.0)
    p, q, gamma = truth
    n = N_CUSTOMERS
    x = 1 + rng.poisson(2.0, n)
    nu = rng.gamma(q, 1.0 / gamma, n)
    # Sum of x order values Gamma(p, rate nu) is Gamma(p x, rate nu).
    zbar = rng.gamma(p * x, 1.0 / nu) / x
    fit = fit_gamma_gamma(x.astype(np.float64), zbar)
    assert fit.converged
    assert fit.n_customers == n
    est = fit.params
    assert_recovered((est.p, est.q, est.gamma), fit.std_errors, truth, max_relative_se=0.1)
