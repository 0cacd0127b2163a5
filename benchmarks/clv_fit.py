"""Benchmark the BG/NBD fit on 1,000,000 simulated customers (T in days).

Run from the repository root:  .venv/bin/python -m benchmarks.clv_fit [--customers N]

Prints the median of 3 fits for customers.clv.fit_bgnbd and, when the optional
``lifetimes`` package is importable (it is not a dependency of this project:
``pip install lifetimes==0.11.3`` into a scratch environment), for lifetimes'
BetaGeoFitter on the same data, with both log-likelihoods.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from customers.clv import bgnbd_log_likelihood, fit_bgnbd


def simulate_bgnbd(
    n: int,
    *,
    r: float = 0.25,
    alpha: float = 28.0,
    a: float = 0.8,
    b: float = 2.5,
    max_age_days: int = 730,
    seed: int = 2024,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulate (frequency, recency, age) of n BG/NBD customers, whole days.

    Rate lambda ~ Gamma(r, alpha) per day, dropout p ~ Beta(a, b) after each repeat
    purchase, age T ~ uniform integer 1..max_age_days. Purchase times are rounded
    up to whole days, as an order log at day resolution would record them.
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    age = rng.integers(1, max_age_days + 1, n).astype(np.float64)
    k = rng.poisson(lam * age)
    # Repeat purchases survived before dropping out: geometric on 1, 2, ...
    j = rng.geometric(p)
    x = np.minimum(k, j)
    rec = np.zeros(n)
    pos = x > 0
    # The x-th of k uniform purchase times on (0, T) is T * Beta(x, k - x + 1).
    rec[pos] = age[pos] * rng.beta(x[pos], k[pos] - x[pos] + 1)
    rec = np.minimum(np.ceil(rec), age)
    return x.astype(np.float64), rec, age


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    x, rec, age = simulate_bgnbd(args.customers)
    n_unique = np.unique(np.column_stack([x, rec, age]), axis=0).shape[0]
    print(f"customers: {x.size:,}  distinct (x, t_x, T) rows: {n_unique:,}")

    times = []
    fit = None
    for _ in range(args.repeats):
        start = time.perf_counter()
        fit = fit_bgnbd(x, rec, age, time_unit="D")
        times.append(time.perf_counter() - start)
    assert fit is not None
    p = fit.params
    print(
        f"clvcrm fit_bgnbd: median {statistics.median(times):.3f} s over {args.repeats} "
        f"(all: {', '.join(f'{t:.3f}' for t in times)})"
    )
    print(
        f"  r={p.r:.5f} alpha={p.alpha:.4f} a={p.a:.5f} b={p.b:.5f} "
        f"LL={fit.log_likelihood:.3f} iterations={fit.iterations} converged={fit.converged}"
    )

    try:
        from lifetimes import BetaGeoFitter
    except ImportError:
        print("lifetimes not importable: skipping the BetaGeoFitter comparison")
        return
    times = []
    bgf = None
    for _ in range(args.repeats):
        bgf = BetaGeoFitter()
        start = time.perf_counter()
        bgf.fit(x, rec, age)
        times.append(time.perf_counter() - start)
    assert bgf is not None
    lp = bgf.params_
    from customers.clv import BGNBDParams

    ll = bgnbd_log_likelihood(
        BGNBDParams(lp["r"], lp["alpha"], lp["a"], lp["b"], time_unit="D"), x, rec, age
    )
    print(f"lifetimes BetaGeoFitter: median {statistics.median(times):.3f} s over {args.repeats}")
    print(
        f"  r={lp['r']:.5f} alpha={lp['alpha']:.4f} a={lp['a']:.5f} b={lp['b']:.5f} "
        f"LL={ll:.3f} (our likelihood at lifetimes' optimum)"
    )


if __name__ == "__main__":
    main()
