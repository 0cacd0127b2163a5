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
        model=run.model,  # type: ignore[arg-type]
        time_unit=run.time_unit,  # type: ignore[arg-type]
        horizon_months=run.horizon_months,
        monthly_discount_rate=run.monthly_discount_rate,
        margin=run.margin,
        fit_sample_size=run.fit_sample_size,
    )


def prediction_of(run: ClvRun) -> compute.Prediction | None:
    """The parameters a run recorded, or None when it skipped the prediction."""
    if run.prediction_skipped or None in (run.r, run.gg_p):
        return None
    return compute.Prediction(
        bgnbd=clv.BGNBDParams(
            r=run.r,
            alpha=run.alpha,
            a=run.a,
            b=run.b,
            model=run.model,  # type: ignore[arg-type]
            time_unit=run.time_unit,  # type: ignore[arg-type]
        ),
        gamma_gamma=clv.GammaGammaParams(p=run.gg_p, q=run.gg_q, gamma=run.gg_gamma),
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
