"""``manage.py recalculate_clv [--as-of YYYY-MM-DD] [--json]``; then what follows a run."""

import json
import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from clvcrm.core.arguments import iso_date, non_negative_int
from clvcrm.pipeline.tasks import then_clv_run, then_clv_run_fanned_out
from customers.clv_runs import fan_out
from customers.clv_runs.run import STAGES, ClvRunBusyError
from customers.clv_runs.selectors import clv_run_as_json
from customers.models import ClvRun
from customers.services.clv_runs import clv_recalculate


class Command(BaseCommand):
    help = "Recalculate every customer's CLV (BG/NBD + Gamma-Gamma), RFM and P(alive)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="ignore orders after this day (default: yesterday)",
        )
        parser.add_argument(
            "--json", action="store_true", help="print the run as JSON on the last line"
        )
        parser.add_argument(
            "--customers-per-part",
            type=non_negative_int,
            metavar="N",
            help="fan scoring and writing out over Celery workers, N customers per task "
            "(default: CLV_FAN_OUT_CUSTOMERS_PER_PART; 0 = in this process)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bar = tqdm(total=len(STAGES), desc="CLV", unit="stage", disable=None, file=sys.stderr)

        def on_stage(name: str) -> None:
            bar.set_description(f"CLV: {name}")
            if name != STAGES[0]:
                bar.update(1)

        try:
            recalculation = clv_recalculate(
                as_of=options["as_of"],
                triggered_by="command",
                on_stage=on_stage,
                customers_per_part=options["customers_per_part"],
            )
            run = recalculation.run
            if recalculation.fan_out is not None:  # fanned out to workers: wait for them
                then_clv_run_fanned_out(recalculation.fan_out)
                run = fan_out.wait_for(run, on_progress=self._parts_progress(bar))
            else:
                then_clv_run(run)
        except ClvRunBusyError as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:
            raise CommandError(f"CLV run failed: {type(exc).__name__}: {exc}") from exc
        finally:
            bar.update(bar.total - bar.n)
            bar.close()
        if run.status != ClvRun.Status.SUCCEEDED:
            raise CommandError(f"CLV run {run.pk} {run.status}: {run.error}")
        self._report(run)
        if options["json"]:
            self.stdout.write(json.dumps(clv_run_as_json(run)))

    @staticmethod
    def _parts_progress(bar: tqdm) -> Callable[[int, int], None]:
        def progress(finished: int, total: int) -> None:
            bar.set_description(f"CLV: parts {finished}/{total}")

        return progress

    def _report(self, run: ClvRun) -> None:
        self.stdout.write(
            f"CLV run {run.pk} as of {run.as_of}: {run.customers:,} customers scored "
            f"({run.repeat_customers:,} repeat buyers) in {run.seconds.get('total', 0):.1f} s."
        )
        if run.prediction_skipped:
            self.stdout.write(f"Prediction skipped: {run.prediction_skipped}.")
        elif run.has_prediction:
            unit = run.get_time_unit_display()
            self.stdout.write(
                f"{run.get_model_display()}: r={run.r:.4f} alpha={run.alpha:.4f} ({unit}) "
                f"a={run.a:.4f} b={run.b:.4f}, log-likelihood {run.log_likelihood:.2f}; "
                f"Gamma-Gamma: p={run.gg_p:.4f} q={run.gg_q:.4f} gamma={run.gg_gamma:.4f}."
            )
