"""What a CLV run records about itself: timings, fitted parameters, outcome.

Shared by the single-process run (``run``) and the fanned-out one (``fan_out``), so both
leave the same :class:`~customers.models.ClvRun` behind. Status changes are conditional
(``WHERE status = 'running'``): a run finishes or fails once, whoever gets there first.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db.models import Q
from django.utils import timezone

from customers import clv
from customers.clv_runs import compute
from customers.models import ClvRun

StageCallback = Callable[[str], None]


@contextmanager
def timed_stage(
    name: str, seconds: dict[str, float], on_stage: StageCallback | None = None
) -> Iterator[None]:
    """Time the block into ``seconds[name]``, announcing it to ``on_stage`` first."""
    if on_stage is not None:
        on_stage(name)
    started = time.perf_counter()
    yield
    seconds[name] = round(time.perf_counter() - started, 3)


def scoring_of(run: ClvRun) -> compute.ScoringSettings:
    """The settings a run was started with."""
    return compute.ScoringSettings(
        model=run.model,  # type: ignore[arg-type]  # a choices column of clv.Model's values
        time_unit=run.time_unit,  # type: ignore[arg-type]  # choices of clv.TimeUnit's values
        horizon_months=run.horizon_months,
        monthly_discount_rate=run.monthly_discount_rate,
        margin=run.margin,
        fit_sample_size=run.fit_sample_size,
    )


def prediction_of(run: ClvRun) -> compute.Prediction | None:
    """The parameters a run recorded, or None when it skipped the prediction."""
    r, alpha, a, b = run.r, run.alpha, run.a, run.b
    p, q, gamma = run.gg_p, run.gg_q, run.gg_gamma
    if run.prediction_skipped or r is None or p is None:
        return None
    # A run records all of a model's parameters or none of them.
    assert alpha is not None
    assert a is not None
    assert b is not None
    assert q is not None
    assert gamma is not None
    return compute.Prediction(
        bgnbd=clv.BGNBDParams(
            r=r,
            alpha=alpha,
            a=a,
            b=b,
            model=run.model,  # type: ignore[arg-type]  # a choices column of clv.Model's values
            time_unit=run.time_unit,  # type: ignore[arg-type]  # choices of clv.TimeUnit's values
        ),
        gamma_gamma=clv.GammaGammaParams(p=p, q=q, gamma=gamma),
    )


def record_fits(
    run: ClvRun, *, summary: compute.Summary, fits: compute.Fits, seconds: dict[str, float]
) -> None:
    """Store the fitted parameters (or why the prediction was skipped) on the run."""
    fields: dict[str, object] = {
        "repeat_customers": summary.repeat_customers,
        "fitted_customers": fits.fitted_customers,
        "prediction_skipped": fits.skipped,
        "seconds": seconds,
    }
    if fits.bgnbd is not None:
        p = fits.bgnbd.params
        fields.update(
            r=p.r,
            alpha=p.alpha,
            a=p.a,
            b=p.b,
            log_likelihood=fits.bgnbd.log_likelihood,
            converged=fits.bgnbd.converged,
        )
    if fits.gamma_gamma is not None:
        g = fits.gamma_gamma.params
        fields.update(
            gg_p=g.p,
            gg_q=g.q,
            gg_gamma=g.gamma,
            gg_log_likelihood=fits.gamma_gamma.log_likelihood,
            gg_converged=fits.gamma_gamma.converged,
        )
    ClvRun.objects.filter(pk=run.pk).update(**fields)
    for name, value in fields.items():
        setattr(run, name, value)


def record_success(run: ClvRun, *, customers: int, seconds: dict[str, float]) -> None:
    """Mark the run succeeded with its customer count and timings, in the write's
    transaction (what follows a run is ``clvcrm.pipeline``'s to say)."""
    ClvRun.objects.filter(pk=run.pk, status=ClvRun.Status.RUNNING).update(
        status=ClvRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        customers=customers,
        seconds=seconds,
    )


def record_failure(run_id: int, error: str, seconds: dict[str, float] | None = None) -> bool:
    """Mark a running (or still pending) run failed; False if it had already finished."""
    fields: dict[str, object] = {
        "status": ClvRun.Status.FAILED,
        "error": error[:2000],
        "finished_at": timezone.now(),
    }
    if seconds is not None:
        fields["seconds"] = seconds
    return bool(
        ClvRun.objects.filter(
            Q(status=ClvRun.Status.RUNNING) | Q(status=ClvRun.Status.PENDING), pk=run_id
        ).update(**fields)
    )
