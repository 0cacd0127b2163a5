"""The "Order ingestion through the API" section of ``docs/benchmarks.md``.

Target (issue 11): orders per second through ``POST /api/v1/orders/`` in batches of 500,
from a second process on loopback, at least half the CSV import's rate in the same run.
"""

import argparse
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from benchmarks.report import command_line, machine_line, medians_text, met

SECTION = "api_ingestion"
TARGET_SHARE = 0.5  # of the CSV import's rate
PG_SETTINGS = ("shared_buffers", "synchronous_commit")
WHY = "the machine is shared: other work slows every figure down, so both paths run in each round"


@dataclass(frozen=True)
class Config:
    """gunicorn workers, and client connections posting at once."""

    workers: int
    connections: int

    @property
    def label(self) -> str:
        workers = f"{self.workers} worker" + ("s" if self.workers > 1 else "")
        connections = f"{self.connections} connection" + ("s" if self.connections > 1 else "")
        return f"{workers}, {connections}"


@dataclass(frozen=True)
class CsvRun:
    """``manage.py import_orders`` of one part: wall seconds, its start-up, importer CPU."""

    seconds: float
    startup: float  # the same command on a file of no rows, in the same round
    cpu: float

    @property
    def net(self) -> float:
        return self.seconds - self.startup


@dataclass(frozen=True)
class ApiRun:
    """One part posted: first request to last answer, and the CPU each side spent."""

    seconds: float
    requests: int
    server_cpu: float  # gunicorn's workers, user + system
    database_cpu: float  # their PostgreSQL backends'
    client_cpu: float
    slowest: float  # seconds of the slowest request
    warnings: int


@dataclass
class Round:
    csv: CsvRun
    api: dict[Config, ApiRun]
    order: list[str]  # what ran first: "CSV" or a configuration's label


@dataclass
class Results:
    """Medians over the rounds; ``orders`` per part, the same for every path."""

    rounds: list[Round]
    orders: int
    base_orders: int
    base_customers: int
    customers_end: int
    new_customers: list[int] = field(default_factory=list)  # of each CSV part

    @property
    def configs(self) -> list[Config]:
        return list(self.rounds[0].api)

    def csv_rate(self) -> float:
        """Orders per second of the import itself (its start-up subtracted)."""
        return self.orders / statistics.median(r.csv.net for r in self.rounds)

    def csv_wall_rate(self) -> float:
        return self.orders / statistics.median(r.csv.seconds for r in self.rounds)

    def api_rate(self, config: Config) -> float:
        return self.orders / statistics.median(r.api[config].seconds for r in self.rounds)

    def api_median(self, config: Config, what: str) -> float:
        return float(statistics.median(getattr(r.api[config], what) for r in self.rounds))

    def best(self) -> Config:
        return max(self.configs, key=self.api_rate)

    def ratio(self, config: Config) -> float:
        return self.api_rate(config) / self.csv_rate()

    @property
    def met(self) -> bool:
        return self.ratio(self.best()) >= TARGET_SHARE


def reproduce_command(args: argparse.Namespace) -> str:
    options = [f"--base {args.base} --orders {args.orders}"]
    if args.repeat != 3:
        options.append(f"--repeat {args.repeat}")
    if args.workers != [1, 2]:
        options.append("--workers " + ",".join(map(str, args.workers)))
    if args.connections != [1, 2]:
        options.append("--connections " + ",".join(map(str, args.connections)))
    if args.batch != 500:
        options.append(f"--batch {args.batch}")
    return command_line("api_ingestion", *options)


def render_section(
    args: argparse.Namespace,
    results: Results,
    box: dict[str, str],
    pg: dict[str, str],
    minutes: float,
) -> str:
    """The Markdown of the section."""
    r = results
    lines = [
        "## Order ingestion through the API",
        "",
        f"Measured {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by "
        f"`benchmarks/api_ingestion.py` ({medians_text(len(r.rounds), 'round')}; the whole "
        f"benchmark took {max(1, round(minutes))} min).",
        "",
        machine_line(box, pg, PG_SETTINGS, why=WHY),
        f"- **Shop:** a fresh database, migrated, loaded with {r.base_orders:,} orders of "
        f"{r.base_customers:,} customers by `manage.py import_orders`, then `VACUUM ANALYZE`: "
        "neither path is a first load into an empty shop. The orders are one file of "
        "`benchmarks/orders_csv.py` cut in parts, in time order: the first is the base, each "
        f"later part {r.orders:,} newer orders (new order ids) of the same customers and of "
        f"customers new in it ({_span(r.new_customers)} new customers per part); the shop "
        f"ended with {r.customers_end:,} customers.",
        f"- **CSV:** `manage.py import_orders PART` as a subprocess (the importer's own "
        "batches). Its rate is of the import itself: the wall time less the start-up, "
        "measured in the same round as the same command on a file of no rows "
        f"({_seconds(r.rounds, lambda x: x.csv.startup)} s).",
        f"- **API:** gunicorn (`clvcrm.wsgi`, production settings, sync workers as in "
        "`docs/operations.md`) on 127.0.0.1, and a second process "
        f"(`benchmarks/api_client.py`) posting each part in batches of {args.batch} "
        "(`orders_csv.orders_of`: the same cells as JSON, no `lines`, so each order is one "
        "amount, its `total`), each request with a new `Idempotency-Key`, over one "
        "connection after the other or over two at once. Seconds run from the first request "
        "to the last answer; every answer was 201 with every order `created` and no error, "
        "and the database held exactly the orders sent. The throttles were raised "
        "(`API_TOKEN_THROTTLE_RATE` and `API_CLIENT_IP_THROTTLE_RATE` 1000000/minute) so "
        "they count but never refuse; the throttle counts and the queued pipeline task go "
        "to Redis (`CACHE_URL`, `CELERY_BROKER_URL`), as in production. CPU s are the user "
        "+ system seconds of gunicorn's workers, of their PostgreSQL backends and of the "
        "client; the CSV import's are its importer's and reading child's (its PostgreSQL "
        "backend's are not counted).",
        "- **Both** run with the same environment and PostgreSQL database, "
        "`CHECKPOINT` before each; each round takes new parts and rotates the order of the "
        "paths, so neither always meets the larger database. The 2 cores serve gunicorn, "
        "PostgreSQL and the client alike, and imports take turns: each holds an advisory "
        "lock from its first write to its commit (`customers/order_import/writer.py`), so a "
        "second worker or connection overlaps only the reading, checking and answering of "
        "one request with the writes of another.",
        "",
        *_table(r),
        "",
        f"**Target:** the API at least {TARGET_SHARE:.0%} of the CSV import's rate in the "
        f"same run: {met(r.met)} (best: {r.best().label}, {r.api_rate(r.best()):,.0f} "
        f"orders/s, {r.ratio(r.best()):.0%} of {r.csv_rate():,.0f}).",
        "",
        "Reproduce (`make bench-api`):",
        "",
        "```sh",
        reproduce_command(args),
        "```",
    ]
    return "\n".join(lines)


def _table(r: Results) -> list[str]:
    rows = [
        "| | orders/s | of the CSV rate | seconds | CPU s (server / PostgreSQL / client) "
        "| slowest request |",
        "|---|---:|---:|---:|---:|---:|",
        f"| CSV import, start-up subtracted | {r.csv_rate():,.0f} | 100% | "
        f"{statistics.median(x.csv.net for x in r.rounds):.1f} | "
        f"{statistics.median(x.csv.cpu for x in r.rounds):.1f} (importer) | — |",
        f"| CSV import, wall time | {r.csv_wall_rate():,.0f} | "
        f"{r.csv_wall_rate() / r.csv_rate():.0%} | "
        f"{statistics.median(x.csv.seconds for x in r.rounds):.1f} | — | — |",
    ]
    for config in r.configs:
        rows.append(
            f"| API, {config.label} | {r.api_rate(config):,.0f} | {r.ratio(config):.0%} | "
            f"{r.api_median(config, 'seconds'):.1f} | "
            + " / ".join(
                f"{r.api_median(config, what):.1f}"
                for what in ("server_cpu", "database_cpu", "client_cpu")
            )
            + f" | {r.api_median(config, 'slowest'):.2f} s |"
        )
    every = "; ".join(
        f"{config.label} "
        + " · ".join(f"{r.orders / x.api[config].seconds:,.0f}" for x in r.rounds)
        for config in r.configs
    )
    order = " / ".join(" → ".join(x.order) for x in r.rounds)
    return [
        *rows,
        "",
        "Every round (orders/s): CSV "
        + " · ".join(f"{r.orders / x.csv.net:,.0f}" for x in r.rounds)
        + f"; API {every}. Order of the paths in each round: {order}.",
    ]


def _seconds(rounds: list[Round], value: Callable[[Round], float]) -> str:
    return " · ".join(f"{value(x):.1f}" for x in rounds)


def _span(values: list[int]) -> str:
    if not values:
        return "?"
    low, high = min(values), max(values)
    return f"{low:,}" if low == high else f"{low:,} to {high:,}"
