"""``manage.py backtest_clv --calibration-end DATE --holdout-end DATE [--json]``."""

import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from clvcrm.core.arguments import iso_date
from customers.clv_runs.backtest import BacktestError
from customers.models import ClvBacktest
from customers.services.clv_runs import clv_backtest

DEFAULT_HOLDOUT_WEEKS = 26


class Command(BaseCommand):
    help = (
        "Fit the purchase model on the orders up to the calibration end and compare its "
        "forecast with the repeat transactions of the holdout period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--calibration-end",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="last day of the calibration period (the fit sees orders up to this day; "
            f"default: {DEFAULT_HOLDOUT_WEEKS} weeks before the holdout end)",
        )
        parser.add_argument(
            "--holdout-end",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="last day of the holdout period (default: yesterday)",
        )
        parser.add_argument(
            "--json", action="store_true", help="print the back-test as JSON on the last line"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        holdout_end = options["holdout_end"] or timezone.localdate() - timedelta(days=1)
        calibration_end = options["calibration_end"] or holdout_end - timedelta(
            weeks=DEFAULT_HOLDOUT_WEEKS
        )
        try:
            result = clv_backtest(calibration_end=calibration_end, holdout_end=holdout_end)
        except BacktestError as exc:
            raise CommandError(f"cannot back-test: {exc}") from exc
        for line in describe(result):
            self.stdout.write(line)
        if options["json"]:
            self.stdout.write(json.dumps(backtest_as_json(result)))


def describe(result: ClvBacktest) -> list[str]:
    """The back-test's figures as the command prints them."""
    lines = [
        f"Back-test {result.pk}: calibration to {result.calibration_end}, holdout "
        f"{result.holdout_weeks:.1f} weeks to {result.holdout_end}, "
        f"{result.customers:,} customers.",
        f"{result.get_model_display()} (weeks): r={result.r:.4f} alpha={result.alpha:.4f} "
        f"a={result.a:.4f} b={result.b:.4f}, log-likelihood {result.log_likelihood:.2f}.",
        f"Holdout repeat transactions: predicted {result.predicted_total:,.1f}, "
        f"actual {result.actual_total:,} ({_change(result.predicted_total, result.actual_total)}).",
        f"Per customer: mean absolute error {result.mean_absolute_error:.3f} transactions, "
        f"correlation {_number(result.correlation)}.",
    ]
    final = result.final_week
    if final is not None:
        lines.append(
            f"Week {final['week']} cumulative repeat transactions: predicted "
            f"{final['predicted_cumulative']:,.1f}, actual {final['actual_cumulative']:,} "
            f"({_change(final['predicted_cumulative'], final['actual_cumulative'])})."
        )
    return lines


def _change(predicted: float, actual: float) -> str:
    if not actual:
        return "no actual transactions"
    return f"{(predicted - actual) / actual:+.1%}"


def _number(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def backtest_as_json(result: ClvBacktest) -> dict[str, Any]:
    """The back-test as the ``--json`` line."""
    return {
        "id": result.pk,
        "calibration_end": result.calibration_end.isoformat(),
        "holdout_end": result.holdout_end.isoformat(),
        "calendar_start": result.calendar_start.isoformat(),
        "customers": result.customers,
        "model": result.model,
        "time_unit": "W",
        "bgnbd": {"r": result.r, "alpha": result.alpha, "a": result.a, "b": result.b},
        "log_likelihood": result.log_likelihood,
        "predicted_holdout_transactions": result.predicted_total,
        "actual_holdout_transactions": result.actual_total,
        "mean_absolute_error": result.mean_absolute_error,
        "correlation": result.correlation,
        "weekly": result.weekly,
    }
