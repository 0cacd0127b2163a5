"""The "Order import" section of ``docs/benchmarks.md``: what the rounds measured, in words.

Targets: the first import at 50,000 rows per second or more, under 300 MB resident (the
larger of the importer's peak RSS and the peak PSS of the importer and its reading child).
"""

import argparse
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from benchmarks.measured_run import Measured
from benchmarks.orders_csv import HEADER, SPAN_DAYS, CsvFile
from benchmarks.report import MB, command_line, machine_line, medians_text, megabytes, met

SECTION = "import_orders"
TARGET_ROWS_PER_S = 50_000
TARGET_RSS_MB = 300
RSS_MARKS = range(10, 101, 10)
PG_SETTINGS = ("shared_buffers", "max_wal_size", "synchronous_commit")
WHY = "other work on the machine slows every figure down"


@dataclass
class Round:
    """One fresh database: first import, second import, COPY floor."""

    first: Measured
    second: Measured
    floor_seconds: float
    migrate_seconds: float


@dataclass
class Results:
    """Medians over the rounds of everything the report shows."""

    rounds: list[Round]
    csv_file: CsvFile
    first: dict[str, float] = field(init=False)
    second: dict[str, float] = field(init=False)
    floor_seconds: float = field(init=False)
    first_rss: dict[int, float] = field(init=False)

    def __post_init__(self) -> None:
        def median(values: Iterable[float]) -> float:
            return statistics.median(list(values))

        def figures(runs: list[Measured]) -> dict[str, float]:
            return {
                "seconds": median(m.seconds for m in runs),
                "cpu": median(m.cpu_seconds for m in runs),
                "peak": median(m.peak_rss for m in runs),
                "tree": median(m.peak_tree_pss for m in runs),
            }

        self.first = figures([r.first for r in self.rounds])
        self.second = figures([r.second for r in self.rounds])
        self.floor_seconds = median(r.floor_seconds for r in self.rounds)
        self.first_rss = {
            p: median(r.first.rss_at(p / 100) or 0 for r in self.rounds) for p in RSS_MARKS
        }

    def rate(self, seconds: float) -> float:
        return self.csv_file.rows / seconds

    @property
    def peak(self) -> float:
        """The larger of the import process's RSS and its process tree's PSS, any run."""
        runs = (self.first, self.second)
        return max(max(run["peak"], run["tree"]) for run in runs)

    @property
    def speed_met(self) -> bool:
        return self.rate(self.first["seconds"]) >= TARGET_ROWS_PER_S

    @property
    def memory_met(self) -> bool:
        return self.peak < TARGET_RSS_MB * MB


def reproduce_command(args: argparse.Namespace) -> str:
    options = [f"--rows {args.rows} --customers {args.customers}"]
    if args.repeat != 1:
        options.append(f"--repeat {args.repeat}")
    if args.batch_rows:
        options.append(f"--batch-rows {args.batch_rows}")
    if args.seed != 1:
        options.append(f"--seed {args.seed}")
    if args.django_debug:
        options.append("--django-debug")
    return command_line("import_orders", *options)


def render_section(
    args: argparse.Namespace, results: Results, box: dict[str, str], pg: dict[str, str]
) -> str:
    """The Markdown of the "Order import" section."""
    f, r = results.csv_file, results
    total = f.seconds + sum(
        x.migrate_seconds + x.first.seconds + x.second.seconds + x.floor_seconds for x in r.rounds
    )
    debug = "`DEBUG=true`" if args.django_debug else "`DEBUG=false` (as in production)"
    batch = f"`--batch-rows {args.batch_rows}`" if args.batch_rows else "the default batch size"
    lines = [
        "## Order import",
        "",
        f"Measured {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by "
        f"`benchmarks/import_orders.py` ({medians_text(len(r.rounds))}).",
        "",
        machine_line(box, pg, PG_SETTINGS, why=WHY),
        f"- **File:** {f.rows:,} rows (one order each, no `sku`), {f.customers:,} customers, "
        f"{megabytes(f.size)} MB; columns `{HEADER.strip()}`; sorted by `placed_at` over "
        f"{SPAN_DAYS // 365} years, so each customer's rows are scattered through the file.",
        f"- **Run:** `manage.py import_orders FILE` as a subprocess with {debug} and {batch}, "
        "into a freshly migrated database. Seconds are wall time including Django start-up; "
        "CPU is the user + system time of the importer and its reading child (PostgreSQL's "
        "is not in it); peak RSS is the importer process's `ru_maxrss` and `VmHWM` (the "
        "larger of it and its child's); peak PSS is the proportional set size of the "
        "importer and its child summed, sampled every 0.5 s: the memory the two hold "
        "together, pages they share counted once. MB are 10^6 bytes.",
        "",
        *_table(r),
        "",
        *_explanation(r),
        "",
        f"Reproduce (about {_minutes(total)} here; needs {_disk(f.size)} of temporary disk):",
        "",
        "```sh",
        reproduce_command(args),
        "```",
    ]
    return "\n".join(lines)


def _table(r: Results) -> list[str]:
    """Both imports and the floor: medians, then every run's rate."""
    first, second = r.first, r.second
    return [
        "| | seconds | rows/s | importer CPU s | peak RSS | peak PSS, with child |",
        "|---|---:|---:|---:|---:|---:|",
        f"| First import (empty database) | {first['seconds']:,.1f} | "
        f"{r.rate(first['seconds']):,.0f} | {first['cpu']:,.1f} | {megabytes(first['peak'])} MB | "
        f"{megabytes(first['tree'])} MB |",
        f"| Second import of the same file (0 new orders) | {second['seconds']:,.1f} | "
        f"{r.rate(second['seconds']):,.0f} | {second['cpu']:,.1f} | "
        f"{megabytes(second['peak'])} MB | {megabytes(second['tree'])} MB |",
        f"| PostgreSQL floor: bare `COPY` of the file into an empty orders table | "
        f"{r.floor_seconds:,.1f} | {r.rate(r.floor_seconds):,.0f} | — | — | — |",
        "",
        "Every run (rows/s): first import "
        + " · ".join(f"{r.rate(x.first.seconds):,.0f}" for x in r.rounds)
        + "; re-import "
        + " · ".join(f"{r.rate(x.second.seconds):,.0f}" for x in r.rounds)
        + "; floor "
        + " · ".join(f"{r.rate(x.floor_seconds):,.0f}" for x in r.rounds)
        + ".",
    ]


def _explanation(r: Results) -> list[str]:
    """Memory through the run, what the floor is, and the targets."""
    rss, first, second = r.first_rss, r.first, r.second
    deciles = " · ".join(megabytes(rss[p]) for p in RSS_MARKS)
    return [
        f"RSS of the first import's process at 10 % / 50 % / 90 % of the run: "
        f"{megabytes(rss[10])} / {megabytes(rss[50])} / {megabytes(rss[90])} MB, peak "
        f"{megabytes(first['peak'])} MB (at every 10 % of the run: {deciles} MB).",
        "",
        "The floor sends the same bytes with `COPY ... FROM STDIN (FORMAT csv)` into a table "
        "made with `LIKE customers_order INCLUDING ALL` (the same indexes, unique order id "
        "and checks) plus four text columns for the customer attributes, without the foreign "
        "key and without writing customers: the least this database needs to store the rows. "
        "On top of that the import parses and validates every row, finds or creates the "
        "customers, and compares each order with the ones already stored. The first import "
        "finds the orders table empty, so it runs as one transaction that drops the "
        "secondary indexes and foreign keys of orders and customers and builds them again "
        "before it commits (`customers/order_import/first_load.py`); its seconds include "
        "that. The re-import writes batch by batch, every index in place.",
        "",
        f"**Targets:** ≥ {TARGET_ROWS_PER_S:,} rows/s for the first import: "
        f"{met(r.speed_met)} ({r.rate(first['seconds']):,.0f} rows/s; the re-import ran at "
        f"{r.rate(second['seconds']):,.0f} rows/s). Under {TARGET_RSS_MB} MB resident: "
        f"{met(r.memory_met)} ({megabytes(r.peak)} MB, the larger of the peak RSS and the peak "
        "PSS with the child).",
    ]


def _disk(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{megabytes(size)} MB"


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))} min"
