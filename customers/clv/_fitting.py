"""Shared machinery for the maximum-likelihood fits: row compression and the optimiser."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

__all__ = [
    "CompressedRows",
    "LogLik",
    "LogLikFn",
    "MLResult",
    "compress_rows",
    "dot",
    "maximise_log_likelihood",
]

# Bounds on log-parameters: wide enough for any real data set, narrow enough that
# exp() never overflows while the optimiser explores.
_LOG_BOUND = 30.0


def dot(a: NDArray[np.number[Any]], b: NDArray[np.number[Any]]) -> float:
    """Inner product of two float64 (n,) arrays, without BLAS.

    Typed for any numeric array: numpy's stubs call ``np.bincount(..., weights)`` an
    integer array although with weights it is float64.

    OpenBLAS runs long dot products on several threads, which on a busy machine made
    fits 10-40 times slower; einsum's own loop is as fast single-threaded.
    """
    return float(np.einsum("i,i->", a, b))


@dataclass(frozen=True)
class CompressedRows:
    """Unique rows of several columns, each column coded against its own unique values.

    values: per column, float64 (k_j,) sorted unique values.
    codes: per column, intp (n_unique,) index into ``values`` for each unique row.
    weights: float64 (n_unique,), total weight of the original rows equal to it.
    inverse: intp (n,), the unique row of each original row (None unless requested).
    """

    values: tuple[NDArray[np.float64], ...]
    codes: tuple[NDArray[np.intp], ...]
    weights: NDArray[np.float64]
    inverse: NDArray[np.intp] | None


def _code_column(col: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    if col.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.intp)
    lo = col.min()
    hi = col.max()
    # Integer-valued columns with a modest range (days, purchase counts) are coded by
    # a lookup table in O(n); only other columns pay for a sort.
    if hi - lo < 4 * col.size + 1024 and np.all(col == np.floor(col)):
        offset = (col - lo).astype(np.intp)
        present = np.zeros(int(hi - lo) + 1, dtype=bool)
        present[offset] = True
        lookup = np.cumsum(present, dtype=np.intp) - 1
        return np.flatnonzero(present) + lo, lookup[offset]
    uniq, inverse = np.unique(col, return_inverse=True)
    return uniq, inverse.astype(np.intp, copy=False)


def compress_rows(
    columns: tuple[NDArray[np.float64], ...],
    weights: NDArray[np.float64] | None = None,
    *,
    with_inverse: bool = False,
) -> CompressedRows:
    """Collapse identical rows of equal-length float64 columns (each (n,)) into weights.

    Equivalent to np.unique(np.column_stack(columns), axis=0, return_inverse=True) with
    bincount weights, but codes each column separately and combines the codes into one
    int64 key, which is several times faster than a structured-row unique.
    """
    values: list[NDArray[np.float64]] = []
    codes: list[NDArray[np.intp]] = []
    for col in columns:
        v, c = _code_column(col)
        values.append(v.astype(np.float64))
        codes.append(c)
    sizes = [v.size for v in values]
    if float(np.prod(np.array(sizes, dtype=np.float64))) >= 2.0**62:
        raise ValueError("too many distinct values to combine into one key")
    key = codes[0].astype(np.int64)
    for c, size in zip(codes[1:], sizes[1:], strict=True):
        key = key * size + c
    total = int(np.prod(sizes))
    if total <= 8 * key.size:
        # Small key space: counting beats sorting.
        counts = np.bincount(key, weights=weights, minlength=total)
        present = np.bincount(key, minlength=total) > 0
        uniq_key = np.flatnonzero(present).astype(np.int64)
        w = counts[present].astype(np.float64)
        inverse = (np.cumsum(present, dtype=np.intp) - 1)[key] if with_inverse else None
    elif weights is None and not with_inverse:
        # A plain sort is much cheaper than the argsort that return_inverse needs.
        uniq_key, counts_int = np.unique(key, return_counts=True)
        w = counts_int.astype(np.float64)
        inverse = None
    else:
        uniq_key, inverse = np.unique(key, return_inverse=True)
        w = np.bincount(inverse, weights=weights, minlength=uniq_key.size).astype(np.float64)
    row_codes: list[NDArray[np.intp]] = []
    rest = uniq_key
    for size in reversed(sizes):
        rest, code = np.divmod(rest, size)
        row_codes.append(code.astype(np.intp))
    if inverse is not None:
        inverse = inverse.astype(np.intp, copy=False)
    return CompressedRows(tuple(values), tuple(reversed(row_codes)), w, inverse)


@dataclass(frozen=True)
class MLResult:
    """Optimiser outcome on the natural parameter scale.

    params: float64 (k,); log_likelihood: total; iterations: L-BFGS-B plus Newton
    iterations; covariance: float64 (k, k), inverse of the observed information at
    the optimum (nan if it is not positive definite).
    """

    params: NDArray[np.float64]
    log_likelihood: float
    converged: bool
    iterations: int
    covariance: NDArray[np.float64]


LogLik = tuple[float, NDArray[np.float64], NDArray[np.float64] | None]
LogLikFn = Callable[[NDArray[np.float64], bool], LogLik]

# Newton stops once the per-customer gradient in log-parameters is below this.
_GRAD_TOL = 1e-10


def maximise_log_likelihood(
    loglik: LogLikFn,
    initial: NDArray[np.float64],
    total_weight: float,
    *,
    coarse: LogLikFn | None = None,
) -> MLResult:
    """Maximise ``loglik`` over positive parameters, working on their logarithms.

    loglik(params (k,), hessian) -> (total log-likelihood, gradient (k,), Hessian
        (k, k) if ``hessian`` else None), derivatives w.r.t. the natural parameters.
    initial: float64 (k,) positive starting values.
    total_weight: number of customers; the objective is scaled to a per-customer
        mean so that tolerances do not depend on the sample size.
    coarse: optional cheaper approximation of ``loglik`` (a subsample, same scale)
        for the first, far-from-optimum iterations.

    L-BFGS-B with a loose tolerance gets close (on ``coarse`` if given); Newton steps
    with the analytic Hessian and backtracking then converge quadratically, and the
    final Hessian gives the covariance without extra evaluations.
    """
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * initial.size
    theta, iterations = _lbfgs(coarse or loglik, np.log(initial), bounds, total_weight, 1e-6)
    theta, ll, grad_log, hess, newton_its, ok = _newton(loglik, theta, total_weight)
    iterations += newton_its
    if not ok:
        # Indefinite Hessian (e.g. a parameter running off to infinity on degenerate
        # data): fall back to a tight L-BFGS-B run.
        theta, more = _lbfgs(loglik, theta, bounds, total_weight, _GRAD_TOL)
        iterations += more
        params = np.exp(theta)
        ll, grad, hess_fb = loglik(params, True)
        assert hess_fb is not None
        hess, grad_log = hess_fb, grad * params
    params = np.exp(theta)
    cov = _covariance(hess)
    # Converged: a stationary point that is a proper maximum (negative definite
    # Hessian). Data without an interior optimum (e.g. nobody ever came back) fail
    # the second test while the gradient still vanishes.
    converged = bool(np.max(np.abs(grad_log)) / total_weight < 1e-6 and np.all(np.isfinite(cov)))
    return MLResult(params, float(ll), converged, iterations, cov)


def _lbfgs(
    loglik: LogLikFn,
    theta0: NDArray[np.float64],
    bounds: list[tuple[float, float]],
    total_weight: float,
    gtol: float,
) -> tuple[NDArray[np.float64], int]:
    scale = 1.0 / total_weight

    def objective(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        params = np.exp(theta)
        ll, grad, _ = loglik(params, False)
        if not np.isfinite(ll):
            # Let the line search back off instead of failing.
            return 1e300, np.zeros_like(theta)
        return -ll * scale, -grad * params * scale

    res = minimize(
        objective,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": gtol, "maxcor": 20},
    )
    return np.asarray(res.x, dtype=np.float64), int(res.nit)


def _newton(
    loglik: LogLikFn, theta: NDArray[np.float64], total_weight: float
) -> tuple[NDArray[np.float64], float, NDArray[np.float64], NDArray[np.float64], int, bool]:
    # Newton ascent on phi = log(params): gradient p*g, Hessian P H P + diag(p*g).
    params = np.exp(theta)
    ll, grad, hess = loglik(params, True)
    assert hess is not None
    its = 0
    for its in range(1, 51):
        g_log = grad * params
        if np.max(np.abs(g_log)) / total_weight < _GRAD_TOL:
            return theta, ll, g_log, hess, its - 1, True
        h_log = hess * np.outer(params, params) + np.diag(g_log)
        try:
            np.linalg.cholesky(-h_log)
        except np.linalg.LinAlgError:
            return theta, ll, g_log, hess, its - 1, False
        step = np.linalg.solve(-h_log, g_log)
        gain = float(g_log @ step)
        t = 1.0
        for _ in range(40):
            cand = np.clip(theta + t * step, -_LOG_BOUND, _LOG_BOUND)
            p_c = np.exp(cand)
            ll_c, grad_c, hess_c = loglik(p_c, True)
            # Armijo, or (at rounding level near the optimum) no loss and a smaller
            # gradient.
            if np.isfinite(ll_c) and (
                ll_c >= ll + 1e-4 * t * gain
                or (
                    ll_c >= ll - 1e-13 * abs(ll)
                    and np.max(np.abs(grad_c * p_c)) < np.max(np.abs(g_log))
                )
            ):
                break
            t /= 2.0
        else:
            return theta, ll, g_log, hess, its, False
        assert hess_c is not None
        theta, params, ll, grad, hess = cand, p_c, ll_c, grad_c, hess_c
    return theta, ll, grad * params, hess, its, False


def _covariance(hess: NDArray[np.float64]) -> NDArray[np.float64]:
    # Inverse observed information on the natural scale.
    k = hess.shape[0]
    if not np.all(np.isfinite(hess)):
        return np.full((k, k), np.nan)
    try:
        np.linalg.cholesky(-hess)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan)
    return np.linalg.inv(-hess).astype(np.float64, copy=False)  # already float64: no copy
