"""The "CLV recalculation" section of ``docs/benchmarks.md``: what a run measured, in words.

Targets (issue 3): the full run at most 3 times the floor, peak memory under 1.5 GB
(10^9 bytes), our BG/NBD fit at least 5 times faster than lifetimes with the same
log-likelihood to 0.01.
"""

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from benchmarks.fit_against_lifetimes import LIFETIMES, FitComparison
from benchmarks.measured_run import Measured
from benchmarks.report import MB, command_line, machine_line, medians_text, met, seconds_list
from benchmarks.shop import BGNBD_A, BGNBD_B, BGNBD_R, GG_GAMMA, GG_P, GG_Q, SPAN_DAYS
from benchmarks.shop_load import load_text, shop_options

SECTION = "clv_recalculation"
TARGET_RATIO = 3.0
TARGET_RSS = 1_500_000_000  # bytes: 1.5 GB
TARGET_SPEEDUP = 5.0
TARGET_LL_DIFF = 0.01
STAGES = ("aggregate", "fit", "score", "write", "total")
PG_SETTINGS = (
    "shared_buffers",
    "work_mem",
    "max_parallel_workers_per_gather",
    "synchronous_commit",
)
WHY_ONE_RUN = (
    "the machine is shared: other work slows every figure down, which is why floor and full "
    "run are compared within one run"
)


@dataclass
class FullRun:
    """One ``recalculate_clv --json`` process: its measurements and the seconds per stage."""

    run: Measured
    stages: dict[str, float]
    result: dict[str, Any]


@dataclass
class Results:
    """Everything the section shows, filled in as the benchmark goes."""

    args: argparse.Namespace
    shop_facts: dict[str, Any]
    load_seconds: dict[str, float]
    box: dict[str, str]  # benchmarks.report.machine(), and load_end
    pg: dict[str, str]  # benchmarks.database.Server.settings()
    pipeline: dict[str, str] = field(default_factory=dict)
    floor_aggregate: list[float] = field(default_factory=list)
    floor_write: list[float] = field(default_factory=list)
    aggregate_plans: list[str] = field(default_factory=list)
    runs: list[FullRun] = field(default_factory=list)
    fit: FitComparison | None = None
    scores_before: int = 0  # score rows in the database before the first run
    total_seconds: float = 0.0

    @property
    def floor(self) -> float:
        return statistics.median(self.floor_aggregate) + statistics.median(self.floor_write)

    @property
    def full(self) -> float:
        return statistics.median(r.run.seconds for r in self.runs)

    @property
    def ratio(self) -> float:
        return self.full / self.floor

    @property
    def peak(self) -> int:
        return max(r.run.peak_rss for r in self.runs)

    def stage(self, name: str) -> float:
        return statistics.median(r.stages.get(name, float("nan")) for r in self.runs)

    def targets_missed(self) -> bool:
        fit = self.fit
        assert fit is not None
        return (
            self.ratio > TARGET_RATIO
            or self.peak >= TARGET_RSS
            or (fit.speedup or 0) < TARGET_SPEEDUP
            or abs(fit.ll_diff if fit.ll_diff is not None else 1.0) > TARGET_LL_DIFF
        )


def render_section(r: Results) -> str:
    """The Markdown of the section, from its heading to the reproduce command."""
    assert r.fit is not None, "the fit comparison comes last"
    s = r.shop_facts
    lines = [
        "## CLV recalculation",
        "",
        f"Measured {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by "
        f"`benchmarks/clv_recalculation.py` ({medians_text(len(r.runs))}, floor and full run "
        f"interleaved in the same process; the whole benchmark took "
        f"{r.total_seconds / 60:.0f} min).",
        "",
        machine_line(r.box, r.pg, PG_SETTINGS, why=WHY_ONE_RUN),
        f"- **Data:** {s['customers']:,} customers, {s['orders']:,} completed orders "
        f"({s['purchase_days']:,} customer purchase days once same-day orders merge) over "
        f"{SPAN_DAYS} days up to the as-of day {s['as_of']}; first purchases uniform over the "
        f"two years, repeat purchases from BG/NBD (r {BGNBD_R}, alpha {s['alpha']:.2f} days, "
        f"a {BGNBD_A}, b {BGNBD_B}; {s['one_time_share']:.0%} buy on one day only, at most "
        f"{s['max_orders']:,} orders per customer; {s['nudged']:,} customers' counts nudged "
        f"by one to hit the total), order values Gamma-Gamma (p {GG_P}, q {GG_Q}, gamma "
        f"{GG_GAMMA}; mean ${s['mean_order']:.2f}). Written with binary `COPY` straight into "
        f"`customers_customer` / `customers_order`, then `VACUUM ANALYZE`; the load is not "
        f"part of any figure: {load_text(r.load_seconds)}.",
        f"- **Pipeline settings:** {r.pipeline['model']}, time unit {r.pipeline['time_unit']}, "
        f"fit on {r.pipeline['fit_sample']}; the runs wrote {s['scored']:,} score rows.",
        "",
        *_timing_table(r),
        "",
        f"The floor aggregate's plan, as PostgreSQL chose it: {_plans_text(r.aggregate_plans)}.",
        "",
        *_verdict_lines(r),
        "",
        *_fit_lines(r.fit),
        "",
        *_reproduce_lines(r.args),
    ]
    return "\n".join(lines)


def _timing_table(r: Results) -> list[str]:
    """The floor's and the full run's seconds, median and every run, stage by stage."""
    aggregate, write = statistics.median(r.floor_aggregate), statistics.median(r.floor_write)
    scored, as_of = r.shop_facts["scored"], r.shop_facts["as_of"]
    return [
        "| | median s | every run (s) |",
        "|---|---:|---:|",
        f"| Floor: the bare per-customer aggregate over the orders, server-side "
        f"(`EXPLAIN ANALYZE`, rows not "
        f"sent) | {aggregate:.1f} | {seconds_list(r.floor_aggregate)} |",
        f"| Floor: binary `COPY` of {scored:,} score rows into an empty "
        f"`LIKE customers_customerscore INCLUDING ALL` | {write:.1f} | "
        f"{seconds_list(r.floor_write)} |",
        f"| **Floor** (aggregate + write) | **{r.floor:.1f}** | |",
        f"| **`manage.py recalculate_clv --as-of {as_of} --json`**, wall time | "
        f"**{r.full:.1f}** | {seconds_list([x.run.seconds for x in r.runs])} |",
        *(
            f"| &nbsp;&nbsp;stage `{name}` (the run's JSON) | {r.stage(name):.1f} | "
            f"{seconds_list([x.stages.get(name, float('nan')) for x in r.runs])} |"
            for name in STAGES
        ),
        f"| &nbsp;&nbsp;Django start-up, run record, exit (wall − total) | "
        f"{r.full - r.stage('total'):.1f} | "
        f"{seconds_list([x.run.seconds - x.stages.get('total', 0) for x in r.runs])} |",
    ]


def _verdict_lines(r: Results) -> list[str]:
    """The first run, CPU time, and the ratio and memory targets."""
    peak_run = max((x.run for x in r.runs), key=lambda run: run.peak_rss)
    return [
        f"{_first_run_text(r.scores_before, r.runs[0].run.seconds)} (the score table is "
        "vacuumed, untimed, before each run). Process CPU time (user + system) of the full "
        f"runs: {seconds_list([x.run.cpu_seconds for x in r.runs])} s; PostgreSQL's own CPU is "
        "not in it.",
        "",
        f"**Full run ÷ floor: {r.ratio:.2f}×** (target ≤ {TARGET_RATIO:.0f}×): "
        f"{met(r.ratio <= TARGET_RATIO)}.",
        "",
        f"**Peak RSS of the run: {r.peak / MB:,.0f} MB** (`ru_maxrss` "
        f"{peak_run.ru_maxrss / MB:,.0f} MB, sampled `VmHWM` {peak_run.vm_hwm / MB:,.0f} MB; "
        f"target < {TARGET_RSS / MB:,.0f} MB): {met(r.peak < TARGET_RSS)}. Runs: "
        f"{' · '.join(f'{x.run.peak_rss / MB:,.0f}' for x in r.runs)} MB.",
    ]


def _plans_text(plans: Sequence[str]) -> str:
    distinct = list(dict.fromkeys(plans))
    if len(distinct) == 1:
        return f"`{distinct[0]}`"
    return "; ".join(f"run {plans.index(p) + 1}: `{p}`" for p in distinct)


def _first_run_text(scores_before: int, seconds: float) -> str:
    if scores_before:
        return (
            f"Every run replaced {scores_before:,} scores of an earlier run, as the nightly "
            "run does"
        )
    return (
        f"The first run wrote into an empty score table ({seconds:.1f} s); every later run "
        "replaced the previous run's scores, as the nightly run does"
    )


def _reproduce_lines(args: argparse.Namespace) -> list[str]:
    command = command_line("clv_recalculation", *shop_options(args))
    full = command_line("clv_recalculation")
    venv = args.lifetimes_venv
    return [
        "Reproduce (PostgreSQL you may create databases on, as a superuser for `CHECKPOINT`; "
        "about 4 GB of disk for the database, which is dropped at the end):",
        "",
        "```sh",
        *(
            [f"make bench-clv    # = {command}"]
            if command == full
            else [command, f"make bench-clv    # the full size: {full}"]
        ),
        "```",
        "",
        f"lifetimes is installed on first use into `{venv}` (`python3 -m venv {venv} && "
        f"{venv}/bin/pip install {LIFETIMES}`), never into `.venv`.",
    ]


def _fit_lines(f: FitComparison) -> list[str]:
    unit = {"W": "weeks", "D": "days"}.get(f.time_unit, f.time_unit)
    lines = [
        f"**BG/NBD fit alone** on the same {f.customers:,} customers' (frequency, recency, "
        f"T) as the pipeline reads them ({f.distinct_rows:,} distinct rows; time in {unit}); "
        f"{medians_text(len(f.ours_seconds), 'fit')} each. Log-likelihood: the total over all "
        "customers, both evaluated with `customers.clv.bgnbd_log_likelihood` at each fit's "
        "parameters.",
        "",
        f"| | median s | r | alpha ({unit}) | a | b | log-likelihood |",
        "|---|---:|---:|---:|---:|---:|---:|",
        _fit_row("`customers.clv.fit_bgnbd`", f.ours, f.ours_params, f.ours_ll),
        _fit_row(
            "lifetimes `BetaGeoFitter().fit` (subprocess)",
            f.theirs,
            f.lifetimes_params,
            f.lifetimes_ll,
        ),
        "",
        f"Every fit (s): ours {seconds_list(f.ours_seconds, 2)}; lifetimes "
        f"{seconds_list(f.lifetimes_seconds, 2) or '—'}.",
    ]
    if f.lifetimes_error:
        return [*lines, "", f"lifetimes: {f.lifetimes_error}"]
    assert f.speedup is not None
    assert f.ll_diff is not None
    versions = ", ".join(f"{k} {v}" for k, v in f.lifetimes_versions.items())
    return [
        *lines,
        "",
        f"lifetimes ({versions}) reports its own `_negative_log_likelihood_`, the *mean* "
        f"penalised negative log-likelihood in time rescaled to max T = 1: "
        f"{f.lifetimes_own_mean_nll:.6f}, i.e. a total log-likelihood of "
        f"{f.lifetimes_own_total:,.3f} in {unit}.",
        "",
        f"**Speed-up {f.speedup:.1f}×** (target ≥ {TARGET_SPEEDUP:.0f}×): "
        f"{met(f.speedup >= TARGET_SPEEDUP)}. **Log-likelihoods differ by {f.ll_diff:+.4f}** "
        f"(ours − lifetimes; target |Δ| ≤ {TARGET_LL_DIFF}): "
        f"{met(abs(f.ll_diff) <= TARGET_LL_DIFF)}.",
    ]


def _fit_row(name: str, secs: float | None, p: Sequence[float] | None, ll: float | None) -> str:
    if p is None or secs is None or ll is None:
        return f"| {name} | — | — | — | — | — | — |"
    return (
        f"| {name} | {secs:.2f} | {p[0]:.5f} | {p[1]:.4f} | {p[2]:.5f} | {p[3]:.5f} | {ll:,.3f} |"
    )
