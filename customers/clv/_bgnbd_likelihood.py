"""Log-likelihood of BG/NBD and MBG/NBD with analytic gradient and Hessian.

Per customer with x repeat purchases, recency t_x and age T (Fader, Hardie & Lee 2005
eq. 6; Batislam, Denizel & Filiztekin 2007), with sh = 0 (BG/NBD) or 1 (MBG/NBD):

    log L = A1(x) + A2(x) - (r + x) log(alpha + T) + [mix] log(1 + exp(d))
    A1 = log G(r+x) - log G(r) + r log alpha,   A2 = log B(a, b+x+sh) - log B(a, b)
    d  = log a - log(b + x - 1 + sh) + (r + x) (log(alpha + T) - log(alpha + t_x))

where the mixture term is present for every MBG/NBD customer and for BG/NBD
customers with x > 0. Nothing here needs a hypergeometric function.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma, gammaln, polygamma

from customers.clv._fitting import CompressedRows, LogLik, compress_rows, dot

__all__ = ["Likelihood", "Model", "weights_array"]

Model = Literal["bgnbd", "mbgnbd"]


def weights_array(weights: ArrayLike | None, n: int) -> NDArray[np.float64] | None:
    """Validated float64 (n,) customer weights, or None."""
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size != n or np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be n finite, non-negative numbers")
    return w


class Likelihood:
    """Weighted log-likelihood, gradient and Hessian on compressed (x, t_x, T) rows.

    Terms that depend on x alone or T alone are summed once per distinct value; only
    the mixture term log(1 + exp(d)) needs a pass over the distinct rows.
    """

    def __init__(self, model: Model, rows: CompressedRows) -> None:
        self.model: Model = model
        self.rows = rows
        self.xs, self.txs, self.ts = rows.values
        ix, itx, it = rows.codes
        w = rows.weights
        self.n_unique = w.size
        self.total_weight = float(w.sum())
        # MBG/NBD allows dropout at time 0, which adds b -> b + 1 in the Beta terms.
        self.shift = 1.0 if model == "mbgnbd" else 0.0
        self.w_x = np.bincount(ix, w, minlength=self.xs.size)
        self.w_t = np.bincount(it, w, minlength=self.ts.size)
        self.wx_t = np.bincount(it, w * self.xs[ix], minlength=self.ts.size)
        # BG/NBD customers with x = 0 have no mixture term (they are certainly alive).
        mix = np.ones(w.size, dtype=bool) if model == "mbgnbd" else self.xs[ix] > 0
        self.ix, self.itx, self.it = ix[mix], itx[mix], it[mix]
        self.x_mix = self.xs[self.ix]
        self.w_mix = w[mix]
        self.xs_has_mix = np.bincount(self.ix, minlength=self.xs.size) > 0
        # compress_rows returns rows sorted by x, so per-x sums of the row terms are
        # contiguous segments (np.add.reduceat is much faster than a weighted bincount).
        self.seg_start = np.flatnonzero(np.diff(self.ix, prepend=-1))
        self.seg_count = np.diff(np.append(self.seg_start, self.ix.size))
        self.seg_x = self.ix[self.seg_start]

    @classmethod
    def from_arrays(
        cls,
        model: Model,
        x: NDArray[np.float64],
        tx: NDArray[np.float64],
        t_age: NDArray[np.float64],
        weights: NDArray[np.float64] | None,
    ) -> Likelihood:
        return cls(model, compress_rows((x, tx, t_age), weights))

    def subsample(self, size: int) -> Likelihood:
        """An unbiased likelihood on about ``size`` random distinct rows (fixed seed)."""
        keep_prob = size / self.n_unique
        keep = np.random.default_rng(0).random(self.n_unique) < keep_prob
        rows = self.rows
        sub = CompressedRows(
            rows.values,
            tuple(c[keep] for c in rows.codes),
            rows.weights[keep] / keep_prob,
            None,
        )
        return Likelihood(self.model, sub)

    def __call__(self, params: NDArray[np.float64], hessian: bool = False) -> LogLik:
        """Total log-likelihood, its gradient (4,) and, if asked, Hessian (4, 4)."""
        r, alpha, a, b = (float(v) for v in params)
        xs, sh, n = self.xs, self.shift, self.total_weight
        hess = np.zeros((4, 4))
        log_alpha = np.log(alpha)
        # x-level terms: A1 = log G(r+x) - log G(r) + r log alpha, and the Beta ratio
        # A2 = log B(a, b+x+sh) - log B(a, b).
        a1 = gammaln(r + xs) - gammaln(r) + r * log_alpha
        a2 = gammaln(a + b) + gammaln(b + xs + sh) - gammaln(b) - gammaln(a + b + xs + sh)
        ll = dot(self.w_x, a1 + a2)
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + xs + sh)
        g_r = dot(self.w_x, digamma(r + xs) - digamma(r) + log_alpha)
        g_alpha = r / alpha * n
        g_a = dot(self.w_x, psi_ab - psi_abx)
        g_b = dot(self.w_x, psi_ab + digamma(b + xs + sh) - digamma(b) - psi_abx)
        if hessian:
            tri_ab = polygamma(1, a + b)
            tri_abx = polygamma(1, a + b + xs + sh)
            hess[0, 0] = dot(self.w_x, polygamma(1, r + xs) - polygamma(1, r))
            hess[0, 1] = n / alpha
            hess[1, 1] = -r / alpha**2 * n
            hess[2, 2] = hess[2, 3] = dot(self.w_x, tri_ab - tri_abx)
            hess[3, 3] = dot(
                self.w_x, tri_ab + polygamma(1, b + xs + sh) - polygamma(1, b) - tri_abx
            )

        # T-level term: -(r + x) log(alpha + T).
        log_at = np.log(alpha + self.ts)
        inv_at = 1.0 / (alpha + self.ts)
        ll -= r * dot(self.w_t, log_at) + dot(self.wx_t, log_at)
        g_r -= dot(self.w_t, log_at)
        g_alpha -= dot(r * self.w_t + self.wx_t, inv_at)
        if hessian:
            hess[0, 1] -= dot(self.w_t, inv_at)
            hess[1, 1] += dot(r * self.w_t + self.wx_t, inv_at**2)

        if self.w_mix.size:
            # Row-level term log(1 + exp(d)),
            # d = log a - log(b + x - 1 + sh) + (r + x) (log(alpha+T) - log(alpha+t_x)).
            log_atx = np.log(alpha + self.txs)
            inv_atx = 1.0 / (alpha + self.txs)
            seg = self.seg_x
            inv_bx = 1.0 / (b + xs[seg] - 1.0 + sh)
            diff = log_at[self.it]
            diff -= log_atx[self.itx]
            rx = self.x_mix + r
            d = rx * diff
            d += np.repeat(np.log(a) + np.log(inv_bx), self.seg_count)
            # Clip so exp(-|d|) never goes subnormal (slow); the terms it drops are
            # below 1e-300.
            e = np.minimum(np.abs(d), 700.0)
            np.negative(e, out=e)
            np.exp(e, out=e)
            softplus = np.log1p(e)
            softplus += np.maximum(d, 0.0)
            ll += dot(self.w_mix, softplus)
            # sigma(d) = 1/(1+e) for d >= 0, e/(1+e) otherwise.
            s = np.where(d >= 0, 1.0, e)
            e1 = e + 1.0
            s /= e1
            s *= self.w_mix
            g_r += dot(s, diff)
            dinv = inv_at[self.it]
            dinv -= inv_atx[self.itx]
            s_rx = s * rx
            g_alpha += dot(s_rx, dinv)
            s_x = np.add.reduceat(s, self.seg_start)
            g_a += float(s_x.sum()) / a
            g_b -= dot(s_x, inv_bx)
            if hessian:
                self._row_hessian(hess, a, alpha, e, e1, diff, rx, dinv, s, s_rx, s_x, inv_bx)
        grad = np.array([g_r, g_alpha, g_a, g_b])
        if not hessian:
            return ll, grad, None
        return ll, grad, np.triu(hess) + np.triu(hess, 1).T

    def _row_hessian(
        self,
        hess: NDArray[np.float64],
        a: float,
        alpha: float,
        e: NDArray[np.float64],
        e1: NDArray[np.float64],
        diff: NDArray[np.float64],
        rx: NDArray[np.float64],
        dinv: NDArray[np.float64],
        s: NDArray[np.float64],
        s_rx: NDArray[np.float64],
        s_x: NDArray[np.float64],
        inv_bx: NDArray[np.float64],
    ) -> None:
        # Second derivatives of sum w softplus(d): w sigma (1 - sigma) grad d grad d'
        # + w sigma hess d, where sigma (1 - sigma) = e / (1 + e)^2 and
        # grad d = (D, (r+x) E, 1/a, -1/(b+x-1+sh)), D = log ratio, E = dinv.
        s2 = self.w_mix * e / (e1 * e1)
        rx_e = rx * dinv
        s2_d = s2 * diff
        s2_e = s2 * rx_e
        d2inv = (1.0 / (alpha + self.txs) ** 2)[self.itx]
        d2inv -= (1.0 / (alpha + self.ts) ** 2)[self.it]
        seg2 = np.add.reduceat(s2, self.seg_start)
        seg2_d = np.add.reduceat(s2_d, self.seg_start)
        seg2_e = np.add.reduceat(s2_e, self.seg_start)
        hess[0, 0] += dot(s2_d, diff)
        hess[0, 1] += dot(s2_d, rx_e) + dot(s, dinv)
        hess[1, 1] += dot(s2_e, rx_e) + dot(s_rx, d2inv)
        hess[0, 2] += float(seg2_d.sum()) / a
        hess[0, 3] -= dot(seg2_d, inv_bx)
        hess[1, 2] += float(seg2_e.sum()) / a
        hess[1, 3] -= dot(seg2_e, inv_bx)
        hess[2, 2] += float(seg2.sum() - s_x.sum()) / a**2
        hess[2, 3] -= dot(seg2, inv_bx) / a
        hess[3, 3] += dot(seg2 + s_x, inv_bx**2)
