"""Gamma-Gamma model of average order value (Fader & Hardie 2013).

A customer's order values are Gamma(p, nu) with nu ~ Gamma(q, gamma) across
customers, so the mean value is p / nu and the population mean p * gamma / (q - 1).
Fitted on repeat customers only (x > 0, mean repeat value zbar > 0), assuming order
value is independent of the purchase process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma, gammaln, polygamma

from customers.clv._fitting import LogLik, compress_rows, dot, maximise_log_likelihood

__all__ = [
    "GammaGammaFit",
    "GammaGammaParams",
    "conditional_expected_order_value",
    "fit_gamma_gamma",
    "gamma_gamma_log_likelihood",
]


@dataclass(frozen=True)
class GammaGammaParams:
    """p: shape of order values; q, gamma: shape and scale (currency) of the rate nu."""

    p: float
    q: float
    gamma: float

    @property
    def population_mean(self) -> float:
        """Mean order value in the population, p * gamma / (q - 1), currency (inf if q <= 1)."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else float("inf")


@dataclass(frozen=True)
class GammaGammaFit:
    """Result of ``fit_gamma_gamma``.

    log_likelihood: total over the fitted customers of the density of zbar
    (see ``gamma_gamma_log_likelihood`` for the convention).
    converged, iterations: as in ``BGNBDFit`` (L-BFGS-B then Newton iterations).
    n_customers: repeat customers fitted; n_excluded: rows skipped (x = 0 or zbar <= 0).
    std_errors: of (p, q, gamma) from the analytic Hessian (nan if it is singular);
    covariance: float64 (3, 3).
    """

    params: GammaGammaParams
    log_likelihood: float
    converged: bool
    iterations: int
    n_customers: int
    n_excluded: int
    std_errors: tuple[float, float, float]
    covariance: NDArray[np.float64] = field(repr=False, compare=False)


class _Likelihood:
    def __init__(
        self, x: NDArray[np.float64], m: NDArray[np.float64], weights: NDArray[np.float64] | None
    ) -> None:
        rows = compress_rows((x, m), weights)
        self.xs, ms = rows.values
        ix, im = rows.codes
        self.ix = ix
        self.w = rows.weights
        self.x = self.xs[ix]
        self.m = ms[im]
        self.w_x = np.bincount(ix, self.w, minlength=self.xs.size)
        self.total_weight = float(self.w.sum())
        # Parameter-free pieces of the per-row terms.
        self.log_m = np.log(self.m)
        self.xm = self.x * self.m
        self.sum_wx_logxm = dot(self.w * self.x, self.log_m + np.log(self.x))
        self.sum_w_logm = dot(self.w, self.log_m)

    def __call__(self, params: NDArray[np.float64], hessian: bool = False) -> LogLik:
        """Total log-likelihood, gradient (3,) and, if asked, Hessian (3, 3)."""
        p, q, gam = (float(v) for v in params)
        xs, n = self.xs, self.total_weight
        # log f(zbar | x) = log G(px+q) - log G(px) - log G(q) + q log(gamma)
        #                   + (px - 1) log(zbar) + px log(x) - (px+q) log(gamma + x zbar)
        ll = dot(self.w_x, gammaln(p * xs + q) - gammaln(p * xs) - gammaln(q))
        ll += n * q * np.log(gam)
        ll += p * self.sum_wx_logxm - self.sum_w_logm
        inv_gx = 1.0 / (gam + self.xm)
        log_gx = np.log(gam + self.xm)
        pxq = p * self.x + q
        ll -= dot(self.w, pxq * log_gx)

        psi_pxq = digamma(p * xs + q)
        wx_x = self.w * self.x
        g_p = dot(self.w_x * xs, psi_pxq - digamma(p * xs))
        g_p += self.sum_wx_logxm - dot(wx_x, log_gx)
        g_q = dot(self.w_x, psi_pxq) - n * digamma(q)
        g_q += n * np.log(gam) - dot(self.w, log_gx)
        g_gam = n * q / gam - dot(self.w, pxq * inv_gx)
        grad = np.array([g_p, g_q, g_gam])
        if not hessian:
            return ll, grad, None
        tri_pxq = polygamma(1, p * xs + q)
        w_inv = self.w * inv_gx
        h_pp = dot(self.w_x * xs**2, tri_pxq - polygamma(1, p * xs))
        h_pq = dot(self.w_x * xs, tri_pxq)
        h_pg = -dot(wx_x, inv_gx)
        h_qq = dot(self.w_x, tri_pxq) - n * polygamma(1, q)
        h_qg = n / gam - float(w_inv.sum())
        h_gg = -n * q / gam**2 + dot(w_inv * inv_gx, pxq)
        hess = np.array([[h_pp, h_pq, h_pg], [h_pq, h_qq, h_qg], [h_pg, h_qg, h_gg]])
        return ll, grad, hess


def _repeat_rows(
    frequency: ArrayLike, monetary: ArrayLike, weights: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None, int]:
    x = np.asarray(frequency, dtype=np.float64).ravel()
    m = np.asarray(monetary, dtype=np.float64).ravel()
    if x.shape != m.shape:
        raise ValueError("frequency and monetary must have the same length")
    keep = (x > 0) & (m > 0) & np.isfinite(m)
    w = None
    if weights is not None:
        w_all = np.asarray(weights, dtype=np.float64).ravel()
        if w_all.shape != x.shape or np.any(w_all < 0) or not np.all(np.isfinite(w_all)):
            raise ValueError("weights must be n finite, non-negative numbers")
        w = w_all[keep]
    return x[keep], m[keep], w, int((~keep).sum())


def fit_gamma_gamma(
    frequency: ArrayLike,
    monetary: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    initial: tuple[float, float, float] | None = None,
) -> GammaGammaFit:
    """Fit the Gamma-Gamma spend model by maximum likelihood.

    frequency: float64 (n,), repeat purchase days x.
    monetary: float64 (n,), mean value of the repeat purchases zbar, currency.
    weights: optional float64 (n,), customers per row.
    Rows with x = 0 or zbar <= 0 are excluded (counted in ``n_excluded``). Identical
    (x, zbar) rows are merged into weights; gradient and Hessian are analytic, and
    the optimiser is the one of ``fit_bgnbd`` (L-BFGS-B, then Newton).
    """
    x, m, w, excluded = _repeat_rows(frequency, monetary, weights)
    if x.size == 0:
        raise ValueError("no customer with frequency > 0 and monetary > 0")
    lik = _Likelihood(x, m, w)
    if initial is None:
        # p = 1, q = 2 and gamma matching the observed mean value: a start at which
        # the population mean is already right.
        mean_value = dot(lik.w, lik.m) / lik.total_weight
        start = np.array([1.0, 2.0, mean_value])
    else:
        start = np.asarray(initial, dtype=np.float64)
    res = maximise_log_likelihood(lik, start, lik.total_weight)
    p, q, gam = (float(v) for v in res.params)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(res.covariance))
    return GammaGammaFit(
        params=GammaGammaParams(p, q, gam),
        log_likelihood=res.log_likelihood,
        converged=res.converged,
        iterations=res.iterations,
        n_customers=round(lik.total_weight),
        n_excluded=excluded,
        std_errors=(float(se[0]), float(se[1]), float(se[2])),
        covariance=res.covariance,
    )


def gamma_gamma_log_likelihood(
    params: GammaGammaParams | GammaGammaFit,
    frequency: ArrayLike,
    monetary: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> float:
    """Total log-likelihood of the repeat customers' mean values under ``params``.

    frequency, monetary: float64 (n,) as in ``fit_gamma_gamma`` (x = 0 rows skipped).
    Convention: the full density of zbar given x, including the p*x*log(x) and
    -log(zbar) terms, i.e. f(zbar) = G(px+q)/(G(px)G(q)) gamma^q x^(px)
    zbar^(px-1) / (gamma + x zbar)^(px+q). This is the convention of lifetimes'
    GammaGammaFitter and gives -4055.92 on the 946 CDNOW repeat customers.
    """
    par = params.params if isinstance(params, GammaGammaFit) else params
    x, m, w, _ = _repeat_rows(frequency, monetary, weights)
    return _Likelihood(x, m, w)(np.array([par.p, par.q, par.gamma]))[0]


def conditional_expected_order_value(
    params: GammaGammaParams | GammaGammaFit, frequency: ArrayLike, monetary: ArrayLike
) -> NDArray[np.float64]:
    """E[order value | x, zbar] per customer, currency.

    frequency, monetary: float64 arrays (n,). Returns float64 (n,):
    (q - 1)/(p x + q - 1) * population mean + p x/(p x + q - 1) * zbar, a credibility
    weighting; customers with x = 0 get the population mean p * gamma / (q - 1).
    """
    par = params.params if isinstance(params, GammaGammaFit) else params
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    px = par.p * x
    m_used = np.where(x > 0, m, 0.0)
    return (par.p * par.gamma + px * m_used) / (px + par.q - 1.0)
