"""The BG/NBD fit alone: ``customers.clv.fit_bgnbd`` against lifetimes' ``BetaGeoFitter``.

Both fit the same customers' (frequency, recency, T), read by the pipeline's own aggregate
and summary code in the pipeline's time unit: ours in this process, lifetimes 0.11.3 in a
separate virtualenv (``--lifetimes-venv``), because it must never become a dependency of
the app; it fits the same arrays, saved to an ``.npz`` file, in a subprocess. Both optima
are compared with one likelihood function, ``customers.clv.bgnbd_log_likelihood``
(lifetimes' own ``_negative_log_likelihood_`` is the mean penalised negative log-likelihood
in its rescaled time; it is reported too, converted to a total in our unit).
"""

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.database import BenchmarkError
from benchmarks.report import say

LIFETIMES = "lifetimes==0.11.3"
# Tried only if the newest numpy/scipy/pandas/autograd break lifetimes 0.11.3.
LIFETIMES_FALLBACK_PINS = ("numpy<2", "scipy<1.14", "pandas<2.2", "autograd<1.7")
LIFETIMES_SCRIPT = '''\
"""Fit lifetimes' BetaGeoFitter on arrays from an .npz file; print one JSON line."""
import json
import sys
import time
from importlib.metadata import version

import numpy as np
from lifetimes import BetaGeoFitter

data = np.load(sys.argv[1])
repeat = int(sys.argv[2])
x, tx, t = data["frequency"], data["recency"], data["age"]
seconds = []
for _ in range(repeat):
    fitter = BetaGeoFitter()
    started = time.perf_counter()
    fitter.fit(x, tx, t)
    seconds.append(time.perf_counter() - started)
print(json.dumps({
    "seconds": seconds,
    "params": {k: float(v) for k, v in fitter.params_.items()},
    "mean_penalised_nll": float(fitter._negative_log_likelihood_),
    "scale": float(fitter._scale),
    "versions": {p: version(p) for p in ("lifetimes", "numpy", "scipy", "pandas", "autograd")},
}))
'''


@dataclass
class FitComparison:
    """Both fits on the same customers: seconds of every fit, parameters, log-likelihoods."""

    customers: int
    distinct_rows: int
    time_unit: str
    ours_seconds: list[float]
    ours_params: tuple[float, float, float, float]
    ours_ll: float
    ours_iterations: int
    ours_converged: bool
    lifetimes_seconds: list[float] = field(default_factory=list)
    lifetimes_params: tuple[float, float, float, float] | None = None
    lifetimes_ll: float | None = None  # ours bgnbd_log_likelihood at lifetimes' optimum
    lifetimes_own_mean_nll: float | None = None
    lifetimes_own_total: float | None = None  # its mean NLL as a total log-lik in our unit
    lifetimes_versions: dict[str, str] = field(default_factory=dict)
    lifetimes_error: str = ""

    @property
    def ours(self) -> float:
        return statistics.median(self.ours_seconds)

    @property
    def theirs(self) -> float | None:
        return statistics.median(self.lifetimes_seconds) if self.lifetimes_seconds else None

    @property
    def speedup(self) -> float | None:
        return self.theirs / self.ours if self.theirs else None

    @property
    def ll_diff(self) -> float | None:
        return None if self.lifetimes_ll is None else self.ours_ll - self.lifetimes_ll


def compare_fits(
    summary: Any, time_unit: str, repeat: int, workdir: Path, lifetimes_python: Path | None
) -> FitComparison:
    """Fit ``summary`` (the pipeline's ``Summary``) ``repeat`` times each way, and compare.

    ``lifetimes_python`` None (``--no-lifetimes``) fits ours only.
    """
    comparison = _fit_ours(summary, time_unit, repeat)
    if lifetimes_python is None:
        comparison.lifetimes_error = "lifetimes not run (--no-lifetimes)"
        return comparison
    arrays = workdir / "rfm.npz"
    np.savez(arrays, frequency=summary.frequency, recency=summary.recency, age=summary.age)
    script = workdir / "lifetimes_fit.py"
    script.write_text(LIFETIMES_SCRIPT)
    done = subprocess.run(
        [str(lifetimes_python), str(script), str(arrays), str(repeat)],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
    )
    if done.returncode:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        comparison.lifetimes_error = f"lifetimes failed: {tail}"
        say(f"  {comparison.lifetimes_error}")
        return comparison
    _add_lifetimes(comparison, summary, json.loads(done.stdout.strip().splitlines()[-1]))
    return comparison


def _fit_ours(summary: Any, time_unit: str, repeat: int) -> FitComparison:
    from customers.clv import bgnbd_log_likelihood, fit_bgnbd

    x, tx, t = summary.frequency, summary.recency, summary.age
    distinct = np.unique(np.column_stack([x, tx, t]), axis=0).shape[0]
    seconds = []
    fit = None
    for _ in range(repeat):
        started = time.perf_counter()
        fit = fit_bgnbd(x, tx, t, model="bgnbd", time_unit=time_unit)  # type: ignore[arg-type]  # the CLV_TIME_UNIT setting, a str
        seconds.append(time.perf_counter() - started)
    assert fit is not None
    p = fit.params
    comparison = FitComparison(
        customers=len(x),
        distinct_rows=distinct,
        time_unit=time_unit,
        ours_seconds=seconds,
        ours_params=(p.r, p.alpha, p.a, p.b),
        ours_ll=bgnbd_log_likelihood(p, x, tx, t),
        ours_iterations=fit.iterations,
        ours_converged=fit.converged,
    )
    say(
        f"  ours: {', '.join(f'{s:.2f}' for s in seconds)} s; r={p.r:.5f} alpha={p.alpha:.4f} "
        f"a={p.a:.5f} b={p.b:.5f} LL={comparison.ours_ll:.3f} ({fit.iterations} iterations)"
    )
    return comparison


def _add_lifetimes(comparison: FitComparison, summary: Any, out: dict[str, Any]) -> None:
    """Record lifetimes' fits (``out``, its JSON line), its optimum under our likelihood."""
    from customers.clv import BGNBDParams, bgnbd_log_likelihood

    x, tx, t = summary.frequency, summary.recency, summary.age
    lp = out["params"]
    unit = comparison.time_unit
    params = BGNBDParams(lp["r"], lp["alpha"], lp["a"], lp["b"], time_unit=unit)  # type: ignore[arg-type]  # the CLV_TIME_UNIT setting, a str
    comparison.lifetimes_seconds = out["seconds"]
    comparison.lifetimes_params = (lp["r"], lp["alpha"], lp["a"], lp["b"])
    comparison.lifetimes_ll = bgnbd_log_likelihood(params, x, tx, t)
    comparison.lifetimes_own_mean_nll = out["mean_penalised_nll"]
    # lifetimes fits in time rescaled by s (max T = 1): LL = LL_s + sum(x) * log(s).
    own = -out["mean_penalised_nll"] * len(x)
    comparison.lifetimes_own_total = own + float(x.sum()) * float(np.log(out["scale"]))
    comparison.lifetimes_versions = out["versions"]
    say(
        f"  lifetimes: {', '.join(f'{s:.2f}' for s in out['seconds'])} s; r={lp['r']:.5f} "
        f"alpha={lp['alpha']:.4f} a={lp['a']:.5f} b={lp['b']:.5f} "
        f"LL={comparison.lifetimes_ll:.3f} (its own: mean penalised NLL "
        f"{out['mean_penalised_nll']:.6f}, total {comparison.lifetimes_own_total:.3f})"
    )


def lifetimes_python(venv: Path) -> Path:
    """The side virtualenv's python with lifetimes 0.11.3 working; create it if needed."""
    python = venv / "bin" / "python"
    if python.exists() and _lifetimes_works(python):
        return python
    base = getattr(sys, "_base_executable", sys.executable)
    say(f"  creating {venv} with {LIFETIMES} (not a dependency of the app) ...")
    subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, LIFETIMES], check=True)
    if _lifetimes_works(python):
        return python
    say(f"  lifetimes fails with the newest packages; pinning {' '.join(LIFETIMES_FALLBACK_PINS)}")
    subprocess.run([*pip, LIFETIMES, *LIFETIMES_FALLBACK_PINS], check=True)
    if not _lifetimes_works(python):
        raise BenchmarkError(f"{LIFETIMES} does not work in {venv}")
    return python


def _lifetimes_works(python: Path) -> bool:
    smoke = (
        "from lifetimes import BetaGeoFitter, __version__ as v; "
        "from lifetimes.datasets import load_cdnow_summary; assert v == '0.11.3', v; "
        "d = load_cdnow_summary(index_col=[0]); "
        "BetaGeoFitter().fit(d['frequency'], d['recency'], d['T'])"
    )
    done = subprocess.run([str(python), "-c", smoke], capture_output=True, text=True)
    return done.returncode == 0
