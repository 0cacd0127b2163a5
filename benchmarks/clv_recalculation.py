"""Benchmark the CLV recalculation end to end at shop scale (default 1M customers, 10M orders).

What is measured, and why (issue 3, "What it must show"):

* **The floor**, what this machine's PostgreSQL needs at the very least for one
  recalculation (``benchmarks.clv_floor``): the bare SQL aggregate over the orders,
  server-side, and one binary ``COPY`` of a row per customer into a fresh score table.

* **The full recalculation**, ``manage.py recalculate_clv --as-of <last day> --json`` as a
  subprocess with ``DEBUG=false``, as an operator or the nightly task runs it: wall time
  (Django start-up included), the run's own seconds per stage from its JSON line, and the
  process's peak resident memory (``benchmarks.measured_run``). Every run after the first
  replaces the previous run's scores, as every nightly run does; the score table is
  vacuumed (untimed) before each run so each one starts from the same state.

  Floor and full run are measured ``--repeat`` times, interleaved, in the same process, and
  the report shows medians: the machine is shared and noisy, and a ratio measured in the
  same run is what can be compared.

* **The BG/NBD fit alone** on the same customers' (frequency, recency, T), ours against
  lifetimes' ``BetaGeoFitter`` (``benchmarks.fit_against_lifetimes``), medians of
  ``--repeat`` fits each.

The data: the simulated shop (``benchmarks.shop``), loaded into a fresh database
(``--database``, dropped first) by ``benchmarks.shop_load``. The figures and targets go into
the "CLV recalculation" section of ``docs/benchmarks.md`` (``benchmarks.clv_report``;
``--no-doc`` only prints it).

Usage::

    .venv/bin/python -m benchmarks.clv_recalculation [--customers 1000000]
        [--orders 10000000] [--repeat 3] [--keep-db] [--reuse-db] [--py-spy FILE] [--no-doc]
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from benchmarks.clv_floor import aggregate_sql, floor_write, score_rows
from benchmarks.clv_report import SECTION, FullRun, Results, render_section
from benchmarks.database import (
    BenchmarkError,
    Server,
    count_rows,
    django_env,
    execute,
    explain_text,
    purge_queue,
    server_side_seconds,
    setup_django,
)
from benchmarks.fit_against_lifetimes import compare_fits, lifetimes_python
from benchmarks.measured_run import run_measured
from benchmarks.report import MB, load_average, machine_announce, say, section_publish
from benchmarks.shop import shop_time_zone
from benchmarks.shop_load import prepare_database, shop_args, shop_parser

SAMPLE_EVERY_S = 0.05  # VmHWM of the run; its ru_maxrss covers the moment it exits


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = shop_parser((__doc__ or "").split("\n\n")[0], database="clvcrm_bench_clv")
    parser.add_argument(
        "--lifetimes-venv", type=Path, default=Path("/tmp/bench-lifetimes-venv"), metavar="DIR"
    )
    parser.add_argument("--no-lifetimes", action="store_true", help="skip the lifetimes fit")
    parser.add_argument("--explain", action="store_true", help="print the aggregate's plan")
    parser.add_argument(
        "--broker",
        default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12"),
        help="Redis the runs queue their segment hand-over to (env BENCH_BROKER_URL; purged)",
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="FILE",
        help="profile one extra full run with py-spy (raw format) into FILE",
    )
    return shop_args(parser, argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    server = Server(args.server)
    box, pg = machine_announce(server)
    tz = shop_time_zone()
    workdir = Path(tempfile.mkdtemp(prefix="clvcrm-bench-clv-"))
    keep_workdir = False
    try:
        lifetimes = None
        if not args.no_lifetimes:
            say("Checking the lifetimes side environment ...")
            lifetimes = lifetimes_python(args.lifetimes_venv)
        as_of, facts, load_seconds = prepare_database(args, server, tz)
        setup_django(server.database_uri(args.database))
        _check_time_zone(tz)
        results = Results(args, facts, load_seconds, box, pg, _pipeline_settings())
        summary = measure(results, server, as_of, workdir)
        results.fit = _fit(summary, args, workdir, lifetimes)
        if args.py_spy:
            profile(args, server, as_of, workdir)
        box["load_end"] = load_average()
        results.total_seconds = time.perf_counter() - began
        section_publish(args, SECTION, render_section(results))
        return 1 if args.strict and results.targets_missed() else 0
    except BenchmarkError as exc:
        keep_workdir = True
        say(f"\nBENCHMARK FAILED: {exc}\nLogs kept in {workdir}")
        return 2
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        purge_queue(args.broker)
        if not args.keep_db:
            server.drop(args.database)
            say(f"Dropped {args.database}")
        if keep_workdir:
            say(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def measure(results: Results, server: Server, as_of: date, workdir: Path) -> Any:
    """Floor and full run, ``--repeat`` times, interleaved; return the purchase summary."""
    from django.conf import settings

    from customers import clv
    from customers.clv_runs import compute
    from customers.clv_runs.aggregate import purchase_history

    args = results.args
    database = server.database_url(args.database)
    as_of_day = clv.day_number(as_of)
    query, params = aggregate_sql(as_of)
    say("Reading the purchase summary with the pipeline's code (for the fit and floor) ...")
    started = time.perf_counter()
    history = purchase_history(as_of)
    summary = compute.summarise(history, as_of_day, settings.CLV_TIME_UNIT)
    say(f"  {len(history):,} customers in {time.perf_counter() - started:.1f} s")
    results.shop_facts = {
        **results.shop_facts,
        "purchase_days": int(history.purchase_days.sum()),
        "one_time_share": float(np.mean(history.purchase_days == 1)),
        "scored": len(history),
    }
    if args.explain:
        say(explain_text(query, params))
    results.scores_before = count_rows(database, "customers_customerscore")
    for number in range(1, args.repeat + 1):
        execute(database, "CHECKPOINT")
        seconds, plan = server_side_seconds(query, params)
        results.floor_aggregate.append(seconds)
        results.aggregate_plans.append(plan)
        results.floor_write.append(
            floor_write(database, score_rows(history, as_of_day, args.seed + number))
        )
        execute(database, "VACUUM ANALYZE customers_customerscore", "CHECKPOINT")
        results.runs.append(run_full(_command(as_of), _env(args, server), workdir, f"run{number}"))
        _say_run(results, number)
    return summary


def run_full(command: list[str], env: dict[str, str], logs: Path, label: str) -> FullRun:
    """Run ``recalculate_clv``; its measurements and the stages of its JSON line."""
    run = run_measured(command, env, logs, label, sample_every=SAMPLE_EVERY_S)
    if run.returncode:
        tail = "\n".join(run.stderr.splitlines()[-40:])
        raise BenchmarkError(
            f"{' '.join(command)} exited with {run.returncode}:\n{run.stdout}\n{tail}"
        )
    # The JSON line is the command's last; a profiler may print after it.
    found = [line for line in run.stdout.splitlines() if line.startswith("{")]
    result = json.loads(found[-1]) if found else {}
    stages = {k: float(v) for k, v in result.get("seconds", {}).items()}
    return FullRun(run=run, stages=stages, result=result)


def profile(args: argparse.Namespace, server: Server, as_of: date, workdir: Path) -> None:
    """One more full run under py-spy, its samples into ``--py-spy``."""
    spy = Path(sys.executable).parent / "py-spy"
    say(f"Profiling one more full run with py-spy into {args.py_spy} ...")
    execute(
        server.database_url(args.database), "VACUUM ANALYZE customers_customerscore", "CHECKPOINT"
    )
    profiled = [str(spy), "record", "-f", "raw", "-r", "200", "-o", str(args.py_spy)]
    spied = run_full([*profiled, "--", *_command(as_of)], _env(args, server), workdir, "py-spy")
    say(f"  {spied.run.seconds:.1f} s, stages {spied.stages}")


def _command(as_of: date) -> list[str]:
    return [sys.executable, "manage.py", "recalculate_clv", "--as-of", as_of.isoformat(), "--json"]


def _env(args: argparse.Namespace, server: Server) -> dict[str, str]:
    # As in production, the run hands segment reassignment to a worker through the broker
    # instead of running it in-process (benchmarks/segments_reassign.py times that); no
    # worker listens here, and the queued tasks are purged afterwards.
    return {**django_env(server.database_uri(args.database)), "CELERY_BROKER_URL": args.broker}


def _fit(summary: Any, args: argparse.Namespace, workdir: Path, lifetimes: Path | None) -> Any:
    from django.conf import settings

    say("BG/NBD fit alone: ours vs lifetimes ...")
    return compare_fits(summary, settings.CLV_TIME_UNIT, args.repeat, workdir, lifetimes)


def _check_time_zone(tz: ZoneInfo) -> None:
    """The shop was drawn in ``tz``: the settings must be in the same zone."""
    from django.conf import settings

    if str(settings.TIME_ZONE) != str(tz.key):
        raise BenchmarkError(f"settings.TIME_ZONE {settings.TIME_ZONE} != {tz.key}")


def _pipeline_settings() -> dict[str, str]:
    from django.conf import settings

    sample = settings.CLV_FIT_SAMPLE_SIZE
    models = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD"}
    return {
        "model": models.get(settings.CLV_MODEL, settings.CLV_MODEL),
        "time_unit": settings.CLV_TIME_UNIT,
        "fit_sample": f"a sample of {sample:,}" if sample else "every customer",
    }


def _say_run(results: Results, number: int) -> None:
    run, stages = results.runs[-1].run, results.runs[-1].stages
    say(
        f"[{number}/{results.args.repeat}] floor: aggregate {results.floor_aggregate[-1]:.2f} s "
        f"+ write {results.floor_write[-1]:.2f} s; full run {run.seconds:.2f} s "
        f"(stages {stages}), peak RSS {run.peak_rss / MB:,.0f} MB (ru_maxrss "
        f"{run.ru_maxrss / MB:,.0f}, VmHWM {run.vm_hwm / MB:,.0f}, ours at start "
        f"{run.parent_rss / MB:,.0f}); load {load_average()}"
    )


if __name__ == "__main__":
    sys.exit(main())
