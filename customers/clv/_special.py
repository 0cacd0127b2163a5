"""The one special function the BTYD predictions need, evaluated robustly.

Every expected-purchases formula of the BG/NBD and MBG/NBD models (eq. 7 and eq. 10
of Fader, Hardie & Lee 2005; their MBG/NBD analogues) reduces to

    H(u; A, a, bb) = E_{p ~ Beta(a, bb)} [ (1 - (1 + p u)^(-A)) / p ]

the expected number of purchases in a window of length ``u`` (in units of the gamma
scale) of a customer whose purchase rate is Gamma(A, 1) and who drops out with
probability ``p`` after each purchase. The closed form is

    H = c / (a - 1) * (1 - 2F1(A, a - 1; c; -u)),    c = a + bb - 1,

which breaks down numerically near a = 1 (0/0), for c <= 0, for tiny ``u``
(catastrophic cancellation) and, inside scipy's hyp2f1, for extreme parameters.
So H is evaluated by three routes, fastest first, each used only where it is
accurate: a power series for small ``u``, scipy's hyp2f1 after a Pfaff
transformation (argument in [0, 1), small first parameter), and a
double-exponential quadrature over the Beta mixing distribution that is accurate
everywhere but slower.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln, hyp2f1, log_expit, polygamma

__all__ = ["beta_mixture_purchases", "beta_mixture_purchases_quadrature"]

_SERIES_TERMS = 60
_QUAD_STEP = 1.0 / 64.0
_QUAD_CHUNK = 2048


def beta_mixture_purchases(
    u: ArrayLike, shape: ArrayLike, a: float, bb: ArrayLike
) -> NDArray[np.float64]:
    """H(u; A, a, bb) = E_{p~Beta(a, bb)}[(1 - (1 + p u)^-A) / p], finite and >= 0.

    u: float64 array, window length divided by the gamma scale (t / (alpha + T)), >= 0.
    shape: float64 array, gamma shape A (r + x), > 0.
    a: scalar Beta parameter, > 0.
    bb: float64 array, second Beta parameter (b + x, or b + x + 1 for MBG/NBD), > 0.
    All arrays broadcast together; returns float64 array of the broadcast shape,
    in purchases.
    """
    u_arr, a_shape, bb_arr = np.broadcast_arrays(
        np.asarray(u, dtype=np.float64),
        np.asarray(shape, dtype=np.float64),
        np.asarray(bb, dtype=np.float64),
    )
    out_shape = u_arr.shape
    u_f, a_f, bb_f = u_arr.ravel(), a_shape.ravel(), bb_arr.ravel()
    out = np.full(u_f.shape, np.nan)
    done = u_f == 0.0
    out[done] = 0.0

    c = a + bb_f - 1.0
    # Bound on the term ratio of the alternating series (see _series): <= 0.5 means
    # 60 terms reach full double precision.
    ratio = u_f * np.maximum(1.0, (a_f + 1.0) / (c + 1.0)) * max(1.0, a / 2.0)
    series = ~done & (ratio <= 0.5)
    out[series] = _series(u_f[series], a_f[series], a, c[series])
    done |= series

    # The closed form cancels catastrophically near a = 1 and has a pole at c = 0;
    # scipy's hyp2f1 was seen to return nan for large |c - A| with large u.
    hyp = ~done & (abs(a - 1.0) >= 1e-3) & (c >= 0.5) & (np.abs(c - a_f) <= 50.0) & (u_f <= 1e4)
    if hyp.any():
        idx = np.flatnonzero(hyp)
        value, ok = _pfaff(u_f[idx], a_f[idx], a, c[idx])
        out[idx[ok]] = value[ok]
        done[idx[ok]] = True

    rest = ~done
    if rest.any():
        out[rest] = beta_mixture_purchases_quadrature(u_f[rest], a_f[rest], a, bb_f[rest])
    return out.reshape(out_shape)


def _series(
    u: NDArray[np.float64], shape: NDArray[np.float64], a: float, c: NDArray[np.float64]
) -> NDArray[np.float64]:
    # Expanding (1 + p u)^-A in u and taking Beta moments gives
    #   H = sum_{k>=1} (-1)^(k+1) (A)_k (a)_(k-1) / ((c+1)_(k-1) k!) u^k,
    # free of the (a - 1) and c divisions of the closed form.
    term = shape * u
    total = term.copy()
    for k in range(1, _SERIES_TERMS):
        term = term * (-u) * (shape + k) * (a + k - 1.0) / ((c + k) * (k + 1.0))
        total += term
        if not np.any(np.abs(term) > 1e-17 * np.abs(total)):
            break
    return total


def _pfaff(
    u: NDArray[np.float64], shape: NDArray[np.float64], a: float, c: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    # 2F1(A, a-1; c; -u) = (1+u)^(1-a) 2F1(c-A, a-1; c; u/(1+u)): the argument lies in
    # [0, 1) and c - A = a + b - r - 1 does not grow with the purchase count, which is
    # the regime where scipy's hyp2f1 is accurate.
    z = u / (1.0 + u)
    with np.errstate(all="ignore"):
        f = np.exp((1.0 - a) * np.log1p(u)) * hyp2f1(c - shape, a - 1.0, c, z)
        one_minus_f = 1.0 - f
        value = c / (a - 1.0) * one_minus_f
        # H <= A u because 1 - (1+y)^-A <= A y; a value outside [0, A u] or a 1 - F
        # too small to carry precision means this route failed.
        ok = (
            np.isfinite(value)
            & (np.abs(one_minus_f) >= 1e-6)
            & (value >= 0.0)
            & (value <= shape * u * (1.0 + 1e-10))
        )
    return value, ok


def beta_mixture_purchases_quadrature(
    u: ArrayLike, shape: ArrayLike, a: float, bb: ArrayLike
) -> NDArray[np.float64]:
    """H(u; A, a, bb) by trapezoidal quadrature in y = logit(p) = pi sinh(s).

    Same arguments, units and result as ``beta_mixture_purchases``; slower
    (several hundred nodes per element) but valid for all positive parameters,
    with relative error below ~1e-8. Exposed so tests can cross-check the fast routes.
    """
    u_arr, a_shape, bb_arr = np.broadcast_arrays(
        np.asarray(u, dtype=np.float64),
        np.asarray(shape, dtype=np.float64),
        np.asarray(bb, dtype=np.float64),
    )
    out_shape = u_arr.shape
    u_f, a_f, bb_f = u_arr.ravel(), a_shape.ravel(), bb_arr.ravel()
    out = np.zeros(u_f.shape)
    if u_f.size == 0:
        return out.reshape(out_shape)
    # Nodes are centred on the mode of the logit-Beta density, log(a / bb), and scaled
    # to its width so that concentrated (large a, bb) and diffuse (small a) mixing
    # distributions get the same resolution.
    centre = np.log(a / bb_f)
    width = np.minimum(1.0, np.sqrt(polygamma(1, a) + polygamma(1, bb_f)))
    # log density = a y - (a + bb) softplus(y): the far tails fall like exp(a y) on the
    # left and exp(-bb y) on the right, and between the mode and zero it falls
    # doubly exponentially. These reaches put both ends below exp(-45) of the mode.
    reach_left = 45.0 / a + np.log1p(45.0 / bb_f) + 2.0
    reach_right = 45.0 / bb_f + np.log1p(45.0 / a) + 2.0
    s_left = np.arcsinh(reach_left / (np.pi * width))
    s_right = np.arcsinh(reach_right / (np.pi * width))
    for start in range(0, u_f.size, _QUAD_CHUNK):
        sl = slice(start, start + _QUAD_CHUNK)
        s = np.arange(-s_left[sl].max(), s_right[sl].max() + _QUAD_STEP / 2, _QUAD_STEP)
        w = width[sl, None]
        y = centre[sl, None] + w * np.pi * np.sinh(s)
        log_dy = np.log(w * np.pi * np.cosh(s) * _QUAD_STEP)
        log_p = log_expit(y)
        log_q = log_expit(-y)
        uu = u_f[sl, None]
        b2 = bb_f[sl, None]
        with np.errstate(divide="ignore"):
            log_pu = log_p + np.log(uu)
            # log(log1p(p u)) without underflow for tiny p u.
            log_l1p = np.where(log_pu < -30.0, log_pu, np.log(np.logaddexp(0.0, log_pu)))
            log_big_l = np.log(a_f[sl, None]) + log_l1p
            big_l = np.exp(log_big_l)
            log_gp = np.where(big_l > 1e-8, np.log(-np.expm1(-big_l)), log_big_l - big_l / 2.0)
        log_int = log_gp + (a - 1.0) * log_p + b2 * log_q - betaln(a, b2) + log_dy
        out[sl] = np.exp(log_int).sum(axis=1)
    out[u_f == 0.0] = 0.0
    return out.reshape(out_shape)
