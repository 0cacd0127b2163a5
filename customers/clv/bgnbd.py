"""BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007).

Both models: while alive, a customer buys as a Poisson process with rate
lambda ~ Gamma(r, alpha) (alpha is a time scale, in the time unit of the data); the
customer drops out with probability p ~ Beta(a, b) right after each repeat purchase
(BG/NBD), or also right after the first purchase (MBG/NBD, so one-time buyers can
be inactive).

Inputs everywhere are per-customer arrays in one time unit ("D" days or "W" weeks):
frequency x (repeat purchase days), recency t_x (first to last purchase) and age T
(first purchase to the end of the observation window).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from customers.clv._bgnbd_likelihood import Likelihood, Model, weights_array
from customers.clv._fitting import compress_rows, dot, maximise_log_likelihood
from customers.clv._special import beta_mixture_purchases
from customers.clv.summary import TimeUnit

__all__ = [
    "BGNBDFit",
    "BGNBDParams",
    "Model",
    "bgnbd_log_likelihood",
    "conditional_expected_purchases",
    "expected_purchases",
    "fit_bgnbd",
    "future_purchases_if_alive",
    "probability_alive",
]

_WARM_START_ROWS = 20_000


@dataclass(frozen=True)
class BGNBDParams:
    """Parameters of a fitted BG/NBD or MBG/NBD model.

    r: gamma shape of the purchase rate (dimensionless).
    alpha: gamma scale of the purchase rate, in ``time_unit`` (rate = r / alpha).
    a, b: Beta parameters of the dropout probability (dimensionless).
    model: "bgnbd" or "mbgnbd".
    time_unit: time unit of alpha and of every time argument ("D" or "W").
    """

    r: float
    alpha: float
    a: float
    b: float
    model: Model = "bgnbd"
    time_unit: TimeUnit = "D"


@dataclass(frozen=True)
class BGNBDFit:
    """Result of ``fit_bgnbd``.

    params: the maximum-likelihood parameters (and which model).
    log_likelihood: total log-likelihood over all customers (not the mean).
    converged: the per-customer gradient vanished at a proper maximum (negative
        definite Hessian); False e.g. when a parameter runs off to 0 or infinity.
    iterations: L-BFGS-B iterations (on a row subsample for large data) plus Newton
        iterations on all rows.
    n_customers: customers fitted (sum of weights); n_unique: distinct (x, t_x, T) rows.
    std_errors: standard errors of (r, alpha, a, b) from the inverse observed
        information (nan when the information matrix is singular or indefinite, e.g.
        a parameter running off to infinity on degenerate data).
    covariance: float64 (4, 4) covariance of (r, alpha, a, b).
    """

    params: BGNBDParams
    log_likelihood: float
    converged: bool
    iterations: int
    n_customers: int
    n_unique: int
    std_errors: tuple[float, float, float, float]
    covariance: NDArray[np.float64] = field(repr=False, compare=False)

    @property
    def model(self) -> Model:
        """Which model was fitted ("bgnbd" or "mbgnbd")."""
        return self.params.model


ParamsLike = BGNBDParams | BGNBDFit


def _params(p: ParamsLike) -> BGNBDParams:
    return p.params if isinstance(p, BGNBDFit) else p


def _validate(
    frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    x, tx, t_age = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, age))
    x, tx, t_age = np.broadcast_arrays(x, tx, t_age)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(tx)) and np.all(np.isfinite(t_age))):
        raise ValueError("frequency, recency and age must be finite")
    if np.any(x < 0) or np.any(x != np.floor(x)):
        raise ValueError("frequency must be a non-negative integer count")
    if np.any(tx < 0) or np.any(tx > t_age):
        raise ValueError("need 0 <= recency <= age")
    if np.any((x == 0) & (tx != 0)):
        raise ValueError("recency must be 0 for customers with frequency 0")
    return x, tx, t_age


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    *,
    model: Model = "bgnbd",
    weights: ArrayLike | None = None,
    time_unit: TimeUnit = "D",
    initial: tuple[float, float, float, float] | None = None,
) -> BGNBDFit:
    """Fit BG/NBD or MBG/NBD by maximum likelihood.

    frequency: float64 (n,), repeat purchase days x (integer-valued).
    recency: float64 (n,), first to last purchase, t_x, in ``time_unit`` (0 if x = 0).
    age: float64 (n,), first purchase to end of window, T, in ``time_unit``.
    model: "bgnbd" or "mbgnbd".
    weights: optional float64 (n,), number of customers each row stands for.
    time_unit: unit of recency and age ("D" days, "W" weeks); recorded in the params.
    initial: optional starting (r, alpha, a, b).

    The likelihood is evaluated on the distinct (x, t_x, T) rows with integer
    weights, with analytic gradient and Hessian, in log-parameters: L-BFGS-B to get
    close (on a random 20,000-row subsample when there are over 80,000 distinct
    rows), then Newton steps on all rows to full precision. Standard errors come
    from the analytic Hessian at the optimum.
    """
    if model not in ("bgnbd", "mbgnbd"):
        raise ValueError("model must be 'bgnbd' or 'mbgnbd'")
    x, tx, t_age = _validate(frequency, recency, age)
    if x.size == 0:
        raise ValueError("no customers to fit")
    w = weights_array(weights, x.size)
    lik = Likelihood.from_arrays(model, x.ravel(), tx.ravel(), t_age.ravel(), w)
    if initial is None:
        # r = 1 with alpha matching the mean purchase rate, and a mild dropout prior.
        rate = max(dot(lik.w_x, lik.xs), 1.0) / max(dot(lik.w_t, lik.ts), 1e-12)
        start = np.array([1.0, 1.0 / rate, 1.0, 3.0])
    else:
        start = np.asarray(initial, dtype=np.float64)
    # Far from the optimum, iterate on a random subset of rows; Newton steps with the
    # analytic Hessian then converge on all rows in a few iterations.
    coarse = lik.subsample(_WARM_START_ROWS) if lik.n_unique > 4 * _WARM_START_ROWS else None
    res = maximise_log_likelihood(lik, start, lik.total_weight, coarse=coarse)
    r, alpha, a, b = (float(v) for v in res.params)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(res.covariance))
    return BGNBDFit(
        params=BGNBDParams(r, alpha, a, b, model=model, time_unit=time_unit),
        log_likelihood=res.log_likelihood,
        converged=res.converged,
        iterations=res.iterations,
        n_customers=round(lik.total_weight),
        n_unique=lik.n_unique,
        std_errors=(float(se[0]), float(se[1]), float(se[2]), float(se[3])),
        covariance=res.covariance,
    )


def bgnbd_log_likelihood(
    params: ParamsLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> float:
    """Total log-likelihood of (n,) customers' (x, t_x, T) under ``params`` (its model).

    Arrays as in ``fit_bgnbd``; returns a float (sum over customers, natural log).
    """
    p = _params(params)
    x, tx, t_age = _validate(frequency, recency, age)
    w = weights_array(weights, x.size)
    lik = Likelihood.from_arrays(p.model, x.ravel(), tx.ravel(), t_age.ravel(), w)
    return lik(np.array([p.r, p.alpha, p.a, p.b]))[0]


def _log_odds_dead(
    p: BGNBDParams, x: NDArray[np.float64], tx: NDArray[np.float64], t_age: NDArray[np.float64]
) -> NDArray[np.float64]:
    # log of P(dropped out) / P(alive) given the history.
    sh = 1.0 if p.model == "mbgnbd" else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        d: NDArray[np.float64] = (  # np.log of a float is typed Any
            np.log(p.a)
            - np.log(p.b + x - 1.0 + sh)
            + (p.r + x) * (np.log(p.alpha + t_age) - np.log(p.alpha + tx))
        )
    if p.model == "bgnbd":
        # A BG/NBD customer without a repeat purchase cannot have dropped out yet.
        d = np.where(x > 0, d, -np.inf)
    return d


def probability_alive(
    params: ParamsLike, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> NDArray[np.float64]:
    """P(customer still alive at the end of the window | x, t_x, T).

    frequency, recency, age: float64 arrays (n,) (broadcastable), units as in
    ``fit_bgnbd`` and ``params.time_unit``. Returns float64 (n,) in [0, 1]; exactly 1
    for BG/NBD customers with x = 0.
    """
    p = _params(params)
    x, tx, t_age = _validate(frequency, recency, age)
    alive: NDArray[np.float64] = expit(-_log_odds_dead(p, x, tx, t_age))  # scipy is untyped
    return alive


def conditional_expected_purchases(
    params: ParamsLike,
    t: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
) -> NDArray[np.float64]:
    """Expected repeat purchases in the next ``t`` time units given the history.

    Eq. (10) of Fader, Hardie & Lee (2005) for BG/NBD, and its MBG/NBD analogue:
    P(alive) times the expected purchases of a customer with rate Gamma(r+x, alpha+T)
    and dropout Beta(a, b+x) (BG/NBD) or Beta(a, b+x+1) (MBG/NBD).
    t: float64 array, horizon in ``params.time_unit``; frequency, recency, age:
    float64 arrays (n,). All broadcast (e.g. t[None, :] with x[:, None] gives a
    (n, m) table). Returns float64 array of purchases, finite and >= 0.
    """
    p = _params(params)
    x, tx, t_age = _validate(frequency, recency, age)
    horizon = np.asarray(t, dtype=np.float64)
    if np.any(horizon < 0) or not np.all(np.isfinite(horizon)):
        raise ValueError("t must be finite and >= 0")
    alive: NDArray[np.float64] = expit(-_log_odds_dead(p, x, tx, t_age))  # scipy is untyped
    return alive * future_purchases_if_alive(p, horizon, x, t_age)


def future_purchases_if_alive(
    params: ParamsLike, t: ArrayLike, frequency: ArrayLike, age: ArrayLike
) -> NDArray[np.float64]:
    """Expected purchases in the next ``t`` time units of a customer known to be alive.

    The factor of eq. (10) after P(alive): rate Gamma(r + x, alpha + T), dropout
    Beta(a, b + x) (BG/NBD) or Beta(a, b + x + 1) (MBG/NBD). It does not depend on
    recency, so callers can evaluate it once per distinct (x, T).
    t, frequency, age: float64 arrays, broadcast together; units as in
    ``conditional_expected_purchases``. Returns float64 array of purchases.
    """
    p = _params(params)
    sh = 1.0 if p.model == "mbgnbd" else 0.0
    horizon, x, t_age = np.broadcast_arrays(
        np.asarray(t, dtype=np.float64),
        np.asarray(frequency, dtype=np.float64),
        np.asarray(age, dtype=np.float64),
    )
    flat = (horizon.ravel(), x.ravel(), t_age.ravel())
    if flat[0].size < 64:
        u = flat[0] / (p.alpha + flat[2])
        return beta_mixture_purchases(u, p.r + flat[1], p.a, p.b + flat[1] + sh).reshape(x.shape)
    # Customers share (t, x, T) far more often than (x, t_x, T): evaluate the special
    # function once per distinct triple (integer-valued columns are coded in O(n)).
    rows = compress_rows(flat, with_inverse=True)
    assert rows.inverse is not None
    (vt, vx, va), (ct, cx, ca) = rows.values, rows.codes
    hz, xx = vt[ct], vx[cx]
    value = beta_mixture_purchases(hz / (p.alpha + va[ca]), p.r + xx, p.a, p.b + xx + sh)
    return value[rows.inverse].reshape(x.shape)


def expected_purchases(params: ParamsLike, t: ArrayLike) -> NDArray[np.float64]:
    """E[X(t)]: expected repeat purchases of a new customer in (0, t] (eq. 7 of the paper).

    t: float64 array (any shape), time since first purchase in ``params.time_unit``.
    Returns float64 array (same shape), purchases; 0 for t <= 0.
    """
    p = _params(params)
    horizon = np.maximum(np.asarray(t, dtype=np.float64), 0.0)
    u = horizon / p.alpha
    if p.model == "mbgnbd":
        # E[(1-p)/p (1 - e^{-lambda p t})] = b/(a+b) * H with p ~ Beta(a, b+1).
        return p.b / (p.a + p.b) * beta_mixture_purchases(u, p.r, p.a, p.b + 1.0)
    return beta_mixture_purchases(u, p.r, p.a, p.b)
