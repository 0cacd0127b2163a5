"""Services of the CLV runs: a recalculation (in one process or fanned out over
workers), its parts and its finish, and the back-test of the purchase model."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from customers.clv_runs import backtest, fan_out
from customers.clv_runs.fan_out import Breakpoints, FanOut
from customers.clv_runs.run import default_settings, run_execute, run_start
from customers.models import ClvBacktest, ClvRun

__all__ = [
    "ClvRecalculation",
    "clv_backtest",
    "clv_recalculate",
    "clv_run_finish",
    "clv_run_part_score",
]


@dataclass(frozen=True)
class ClvRecalculation:
    """A CLV run started by :func:`clv_recalculate`: finished in this process, or fanned out.

    With ``fan_out`` the run is still running: its parts wait to be sent as a chord whose
    callback is :func:`clv_run_finish` (``clvcrm.pipeline`` sends it).
    """

    run: ClvRun
    fan_out: FanOut | None = None


def clv_recalculate(
    *,
    as_of: date | None = None,
    triggered_by: str = "",
    on_stage: Callable[[str], None] | None = None,
    customers_per_part: int | None = None,
) -> ClvRecalculation:
    """Recalculate every customer's CLV as of the end of ``as_of`` (default: yesterday).

    One SQL aggregate, a model fit, vectorised scoring and one bulk write, recorded as a
    :class:`~customers.models.ClvRun` with parameters and timings. Raises
    :class:`~customers.clv_runs.run.ClvRunBusyError` while another run is in progress;
    any other failure marks the run failed, leaves the previous scores, and re-raises.
    Re-running the same ``as_of`` over the same orders gives identical numbers.

    ``customers_per_part`` (default ``CLV_FAN_OUT_CUSTOMERS_PER_PART``; 0 = off) fans the
    scoring and writing out over Celery workers, that many customers per task: the run is
    then aggregated and fitted here, and returned with its parts to be sent; it ends with
    the same scores the single-process run would write.
    """
    as_of = as_of or timezone.localdate() - timedelta(days=1)
    if customers_per_part is None:
        customers_per_part = settings.CLV_FAN_OUT_CUSTOMERS_PER_PART
    scoring = default_settings()
    run = run_start(as_of, scoring, triggered_by)
    if customers_per_part > 0:
        parts = fan_out.fan_out_prepare(run, scoring, customers_per_part, on_stage)
        run.refresh_from_db()
        return ClvRecalculation(run, parts)
    return ClvRecalculation(run_execute(run, scoring, on_stage))


def clv_run_part_score(*, part_id: int, breakpoints: Breakpoints) -> int:
    """Score and stage one customer-id range of a fanned-out run; return its customers.

    Idempotent: a part already finished, or of a run no longer running, is left alone.
    """
    return fan_out.part_score(part_id, breakpoints)


def clv_run_finish(*, run_id: int) -> ClvRun:
    """The fan-out chord's callback: swap in the staged scores, mark the run succeeded.

    Does nothing for a run no longer running (a second delivery, or a failed run).
    """
    return fan_out.run_finish(run_id)


def clv_backtest(*, calibration_end: date, holdout_end: date) -> ClvBacktest:
    """Fit the purchase model up to ``calibration_end`` and test it on the days after it.

    Records a :class:`~customers.models.ClvBacktest`; raises
    :class:`~customers.clv_runs.backtest.BacktestError` for a holdout that does not follow
    the calibration, or too little data to fit.
    """
    return backtest.backtest_run(calibration_end=calibration_end, holdout_end=holdout_end)
