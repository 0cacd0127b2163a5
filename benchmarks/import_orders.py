"""Benchmark ``manage.py import_orders`` on a shop-sized file (default 10M orders, 1M customers).

What is measured, and why:

* **First import** into a freshly migrated, empty PostgreSQL database: the wall time of the
  ``manage.py import_orders FILE`` process (Django start-up included, as an operator sees
  it), rows per second, and the peak resident memory of that process (``ru_maxrss`` from
  ``os.wait4``). The import streams the file, so memory must not grow with the file: RSS is
  also sampled from ``/proc/PID/status`` every 0.5 s and reported at 10 %, 50 % and 90 % of
  the run, next to the peak. CPU time of the import process is reported too: it says how
  much of the wall time is the importer's own work, whatever else runs on the machine.
* **Second import** of the same file: it must report 0 new orders (idempotency) and shows
  what a re-upload of an already imported export costs.
* **The PostgreSQL floor**: a bare ``COPY`` of the same file into an empty table shaped like
  the orders table (same columns, indexes and check constraints; no foreign key, no
  customers). It is what this machine's database needs just to store the rows, so readers
  can tell the importer's own cost from the database's.

The file imitates a shop export: one row per order (no ``sku``), the customer's attributes
repeated on each of their rows, order ids increasing with time, rows sorted by ``placed_at``
over two years, so one customer's rows are scattered through the whole file. Every customer
orders at least once; the other orders go to customers with long-tailed weights. The file is
rendered with numpy in fixed-size chunks (constant memory, a few seconds per million rows).

The figures go into the "Order import" section of ``docs/benchmarks.md`` (between this
script's markers, so other benchmarks' sections survive). The import runs with
``DEBUG=false`` (as in production) unless ``--django-debug`` is given.

Usage::

    .venv/bin/python benchmarks/import_orders.py [--rows 10000000] [--customers 1000000]
                                                 [--repeat 1] [--keep-file]
"""

import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make the repository importable
from benchmarks.common import (  # noqa: E402
    DOC_PATH,
    Server,
    load_average,
    machine,
    process_memory,
    process_tree_pss,
    say,
    write_section,
)

TARGET_ROWS_PER_S = 50_000
TARGET_RSS_MB = 300
MB = 1_000_000  # figures are reported in MB of 10^6 bytes, like the target
SAMPLE_EVERY_S = 0.5
CHUNK_ROWS = 500_000
SPAN_DAYS = 730
HEADER = "customer_id,order_id,placed_at,amount,email,country,channel,marketing_consent\n"

FIRST_NAMES = (
    "anna", "ben", "carla", "david", "emma", "felix", "greta", "hugo", "ines", "jonas",
    "klara", "leon", "mia", "noah", "olivia", "paul", "queenie", "rosa", "sam", "tara",
    "umar", "vera", "william", "xenia", "yusuf", "zoe", "liam", "sofia", "lucas", "chloe",
)  # fmt: skip
DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "shop.example")
COUNTRIES = (
    ("US", 34), ("GB", 12), ("DE", 11), ("FR", 8), ("CA", 7), ("AU", 5), ("NL", 4), ("ES", 4),
    ("IT", 4), ("SE", 3), ("AT", 2), ("CH", 2), ("BE", 2), ("DK", 1), ("IE", 1),
)  # fmt: skip
CHANNELS = (
    ("organic", 35), ("paid_search", 20), ("social", 15), ("email", 10), ("referral", 10),
    ("affiliate", 5), ("direct", 5),
)  # fmt: skip
EMAIL_SHARE = 0.95  # customers whose export rows carry an email address
CONSENT_SHARE = 0.6
AMOUNT_MEDIAN_CENTS = 5_500
REPEAT_SHAPE = 0.35  # of the gamma weights that share out repeat orders
AMOUNT_SIGMA = 0.8
MAX_AMOUNT_CENTS = 99_999_999  # renders as at most 6 dollar digits


# --------------------------------------------------------------------------- the CSV file


@dataclass(frozen=True)
class CsvFile:
    path: Path
    rows: int
    customers: int
    size: int
    seconds: float


def generate_csv(path: Path, rows: int, customers: int, seed: int) -> CsvFile:
    """Write the synthetic export to ``path`` chunk by chunk; memory does not grow with it."""
    if not 1 <= customers <= rows:
        raise SystemExit("--customers must be between 1 and --rows")
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first_second = int((end - timedelta(days=SPAN_DAYS)).timestamp())
    span = SPAN_DAYS * 86_400
    id_width = max(7, len(str(customers))) + 1
    order_width = max(8, len(str(rows))) + 1
    orders_left = _orders_per_customer(rng, rows, customers)
    with path.open("wb") as out:
        out.write(HEADER.encode())
        for first_row in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - first_row)
            # Each chunk covers its share of the two years; sorting within it sorts the file.
            low = first_second + span * first_row // rows
            high = first_second + span * (first_row + n) // rows
            seconds = np.sort(rng.integers(low, max(high, low + 1), n))
            # Which customers' orders fall into this chunk: drawn without replacement from
            # the orders still to place, so every order lands at a uniformly random position.
            taken = rng.multivariate_hypergeometric(orders_left, n, method="marginals")
            orders_left -= taken
            index = rng.permutation(np.repeat(np.arange(customers), taken))
            cents = np.rint(rng.lognormal(math.log(AMOUNT_MEDIAN_CENTS), AMOUNT_SIGMA, n))
            cents = np.clip(cents, 50, MAX_AMOUNT_CENTS).astype(np.int64)
            external = index + 10 ** (id_width - 1)
            order_ids = np.arange(first_row, first_row + n, dtype=np.int64) + 10 ** (
                order_width - 1
            )
            out.write(_render(external, id_width, order_ids, order_width, seconds, cents))
    return CsvFile(path, rows, customers, path.stat().st_size, time.perf_counter() - started)


def _orders_per_customer(rng: np.random.Generator, rows: int, customers: int) -> np.ndarray:
    """How many orders each customer places: at least one, with a long tail of regulars.

    The orders beyond each customer's first are shared out with gamma-distributed weights
    (shape 0.35): at 10 orders per customer on average, about a third buy once and a few
    hundred buy a hundred times or more, as in a real shop.
    """
    weights = rng.gamma(REPEAT_SHAPE, 1.0, customers)
    return 1 + rng.multinomial(rows - customers, weights / weights.sum())


def _render(
    external: np.ndarray,
    id_width: int,
    order_ids: np.ndarray,
    order_width: int,
    seconds: np.ndarray,
    cents: np.ndarray,
) -> bytes:
    """Render a chunk of CSV rows as bytes, entirely in numpy.

    Every field goes into a fixed-width byte column padded with NUL bytes; dropping the NULs
    of the row-major matrix leaves the variable-length lines.
    """
    n = len(external)
    attrs = _hash(external)
    email = np.concatenate(
        [
            _table(FIRST_NAMES)[attrs % len(FIRST_NAMES)],
            _const(n, "."),
            _digits(external, id_width),
            _const(n, "@"),
            _table(DOMAINS)[(attrs >> 8) % len(DOMAINS)],
        ],
        axis=1,
    )
    email[_unit(attrs >> 16) >= EMAIL_SHARE] = 0
    consent = (_unit(attrs >> 32) >= CONSENT_SHARE).astype(np.int64)
    matrix = np.concatenate(
        [
            _digits(external, id_width),
            _const(n, ","),
            _digits(order_ids, order_width),
            _const(n, ","),
            _timestamp(seconds),
            _const(n, ","),
            _digits(cents // 100, 6, strip=True),
            _const(n, "."),
            _digits(cents % 100, 2),
            _const(n, ","),
            email,
            _const(n, ","),
            _weighted(COUNTRIES, _unit(attrs >> 24)),
            _const(n, ","),
            _weighted(CHANNELS, _unit(attrs >> 40)),
            _const(n, ","),
            _table(("true", "false"))[consent],
            _const(n, "\n"),
        ],
        axis=1,
    )
    return matrix[matrix != 0].tobytes()


def _hash(values: np.ndarray) -> np.ndarray:
    """A well-mixed 64-bit hash, so a customer's attributes are the same on every row."""
    h = values.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(31)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(29)
    return h


def _unit(bits: np.ndarray) -> np.ndarray:
    return (bits & np.uint64(0xFFFF)).astype(np.float64) / 65_536


def _digits(values: np.ndarray, width: int, *, strip: bool = False) -> np.ndarray:
    """Decimal digits of non-negative ``values`` as a ``(n, width)`` ASCII matrix."""
    out = np.empty((len(values), width), dtype=np.uint8)
    rest = values.astype(np.int64)
    for column in range(width - 1, -1, -1):
        out[:, column] = rest % 10 + 48
        rest //= 10
    if strip:  # leading zeros become padding; the last digit always stays
        leading = np.logical_and.accumulate(out[:, :-1] == 48, axis=1)
        out[:, :-1][leading] = 0
    return out


def _timestamp(seconds: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD HH:MM:SS`` (UTC) for Unix ``seconds``."""
    n = len(seconds)
    days = (seconds // 86_400).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    of_day = seconds % 86_400
    parts = [
        _digits(year, 4),
        _const(n, "-"),
        _digits(month, 2),
        _const(n, "-"),
        _digits(day, 2),
        _const(n, " "),
        _digits(of_day // 3600, 2),
        _const(n, ":"),
        _digits(of_day // 60 % 60, 2),
        _const(n, ":"),
        _digits(of_day % 60, 2),
    ]
    return np.concatenate(parts, axis=1)


def _const(n: int, text: str) -> np.ndarray:
    return np.broadcast_to(np.frombuffer(text.encode(), dtype=np.uint8), (n, len(text)))


def _table(words: Sequence[str]) -> np.ndarray:
    """One NUL-padded row of bytes per word, to index with an array of word numbers."""
    width = max(len(w) for w in words)
    return np.array([list(w.encode().ljust(width, b"\0")) for w in words], dtype=np.uint8)


def _weighted(choices: Sequence[tuple[str, int]], unit: np.ndarray) -> np.ndarray:
    weights = np.array([w for _, w in choices], dtype=np.float64)
    bounds = np.cumsum(weights) / weights.sum()
    index = np.minimum(np.searchsorted(bounds, unit, side="right"), len(choices) - 1)
    return _table([c for c, _ in choices])[index]


# --------------------------------------------------------------------------- the database


def checkpoint(database_url: str) -> None:
    """Flush dirty pages first, so one phase's writes are not billed to the next."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def count(database_url: str, table: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        return int(conn.execute(query).fetchone()[0])  # type: ignore[index]


FLOOR_TABLE = "bench_copy_floor"
FLOOR_COPY = (
    "COPY {} (customer_id, external_id, placed_at, total, email, country, channel, "
    "marketing_consent) FROM STDIN (FORMAT csv, HEADER true)"
)


def copy_floor(database_url: str, csv_file: CsvFile, currency: str) -> float:
    """Seconds for a bare COPY of the file into an empty copy of the orders table.

    The copy has the orders table's columns, indexes (unique order id included) and check
    constraints; its ``customer_id`` takes the file's numeric customer ids as they are (no
    foreign key, no customers table), and it gets four text columns for the file's customer
    attributes so the file's bytes go to the server unchanged.
    """
    table = sql.Identifier(FLOOR_TABLE)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        conn.execute(sql.SQL("CREATE TABLE {} (LIKE customers_order INCLUDING ALL)").format(table))
        conn.execute(
            sql.SQL(
                "ALTER TABLE {} ALTER COLUMN status SET DEFAULT 'completed', "
                "ALTER COLUMN currency SET DEFAULT {}, ALTER COLUMN created_at SET DEFAULT now(), "
                "ADD COLUMN email text, ADD COLUMN country text, ADD COLUMN channel text, "
                "ADD COLUMN marketing_consent boolean"
            ).format(table, sql.Literal(currency))
        )
        conn.execute("CHECKPOINT")
        started = time.perf_counter()
        with (
            conn.transaction(),
            conn.cursor() as cursor,
            cursor.copy(sql.SQL(FLOOR_COPY).format(table)) as copy,
            csv_file.path.open("rb") as source,
        ):
            while block := source.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        copied = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        conn.execute(sql.SQL("DROP TABLE {}").format(table))
    if copied is None or copied[0] != csv_file.rows:
        raise RuntimeError(f"the floor COPY stored {copied} rows, expected {csv_file.rows}")
    return seconds


# --------------------------------------------------------------------------- measured runs


@dataclass
class Measured:
    """One run of a ``manage.py`` subprocess."""

    seconds: float
    cpu_seconds: float  # user + system time of the process
    peak_rss: int  # bytes, of the import process itself
    peak_tree_pss: int  # bytes, PSS of the import process and its children, summed
    samples: list[tuple[float, int]]  # (seconds since start, RSS bytes)
    returncode: int
    stdout: str
    stderr: str

    def rss_at(self, fraction: float) -> int | None:
        if not self.samples:
            return None
        moment = fraction * self.seconds
        return min(self.samples, key=lambda s: abs(s[0] - moment))[1]


def run_measured(command: list[str], env: dict[str, str], logs: Path, label: str) -> Measured:
    """Run ``command``; return its wall time, CPU time, peak RSS and RSS every 0.5 s.

    The import reads its file in a forked child process: the PSS of the whole process
    tree (shared pages counted once) is sampled too, and its peak reported next to the
    import process's own RSS. Linux hands a forked child the parent's RSS high-water
    mark, and ``exec`` keeps it in the child's ``ru_maxrss``; so this process resets its
    own mark first (``clear_refs``), and the child's ``VmHWM`` (which starts afresh at
    ``exec``) is sampled as well.
    """
    _reset_peak_rss()
    out_path, err_path = logs / f"{label}.stdout", logs / f"{label}.stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        samples: list[tuple[float, int]] = []
        high_water = tree_peak = 0
        next_sample = started
        try:
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                now = time.perf_counter()
                if now >= next_sample:
                    rss, hwm = process_memory(process.pid)
                    if rss:
                        samples.append((now - started, rss))
                    high_water = max(high_water, hwm)
                    tree_peak = max(tree_peak, process_tree_pss(process.pid))
                    next_sample += SAMPLE_EVERY_S
                time.sleep(max(0.0, min(0.05, next_sample - time.perf_counter())))
        except BaseException:
            process.kill()
            process.wait()
            raise
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    peak = max(usage.ru_maxrss * 1024, high_water)  # ru_maxrss is in KiB on Linux
    return Measured(
        seconds,
        usage.ru_utime + usage.ru_stime,
        peak,
        tree_peak,
        samples,
        process.returncode,
        out_path.read_text(errors="replace"),
        err_path.read_text(errors="replace"),
    )


def _reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        say(
            f"  (cannot reset the peak RSS; up to {_mb(process_memory(os.getpid())[1])} MB is ours)"
        )


@dataclass(frozen=True)
class Summary:
    """The counts ``import_orders`` prints."""

    rows: int
    rejected: int
    orders_new: int
    orders_unchanged: int
    customers_new: int

    @classmethod
    def parse(cls, text: str) -> "Summary":
        def number(pattern: str) -> int:
            found = re.search(pattern, text)
            if found is None:
                raise RuntimeError(f"no {pattern!r} in the import's output:\n{text}")
            return int(found.group(1).replace(",", ""))

        return cls(
            rows=number(r"([\d,]+) row\(s\) read"),
            rejected=number(r"read; ([\d,]+) rejected"),
            orders_new=number(r"Orders: ([\d,]+) new"),
            orders_unchanged=number(r"([\d,]+) already imported"),
            customers_new=number(r"Customers: ([\d,]+) new"),
        )


@dataclass
class Round:
    """One fresh database: first import, second import, COPY floor."""

    first: Measured
    second: Measured
    floor_seconds: float
    migrate_seconds: float


class BenchmarkError(Exception):
    pass


def run_round(
    args: argparse.Namespace, server: Server, csv_file: CsvFile, logs: Path, number: int
) -> Round:
    database_url = server.database_uri(args.database)
    env = _django_env(database_url, debug=args.django_debug)
    python = sys.executable
    say(f"[round {number}] creating database {args.database} and migrating ...")
    server.recreate(args.database)
    started = time.perf_counter()
    migrate = subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if migrate.returncode:
        raise BenchmarkError(f"migrate failed:\n{migrate.stdout}{migrate.stderr}")
    migrate_seconds = time.perf_counter() - started
    command = [python, "manage.py", "import_orders", str(csv_file.path)]
    if args.batch_rows:
        command += ["--batch-rows", str(args.batch_rows)]

    checkpoint(database_url)
    say(f"[round {number}] first import: {' '.join(command[1:])}")
    first = run_measured(command, env, logs, f"round{number}-first")
    _check_ran(first, "first import")
    say(_describe_run(first, csv_file.rows))
    summary = Summary.parse(first.stdout)
    orders, customers = (
        count(database_url, "customers_order"),
        count(database_url, "customers_customer"),
    )
    say(f"  database: {orders:,} orders, {customers:,} customers")
    if (summary.rejected, orders, customers) != (0, csv_file.rows, csv_file.customers):
        raise BenchmarkError(
            f"first import: expected 0 rejected, {csv_file.rows:,} orders and "
            f"{csv_file.customers:,} customers; got {summary} and {orders:,} orders, "
            f"{customers:,} customers in the database.\n{first.stdout}"
        )

    checkpoint(database_url)
    say(f"[round {number}] second import of the same file ...")
    second = run_measured(command, env, logs, f"round{number}-second")
    _check_ran(second, "second import")
    say(_describe_run(second, csv_file.rows))
    again = Summary.parse(second.stdout)
    if again.orders_new or again.customers_new or again.orders_unchanged != csv_file.rows:
        raise BenchmarkError(f"second import is not idempotent: {again}\n{second.stdout}")

    say(f"[round {number}] PostgreSQL floor: COPY of the file into an empty orders table ...")
    currency = os.environ.get("SHOP_CURRENCY", "USD").upper()
    floor_seconds = copy_floor(database_url, csv_file, currency)
    say(f"  {floor_seconds:.1f} s, {csv_file.rows / floor_seconds:,.0f} rows/s")
    return Round(first, second, floor_seconds, migrate_seconds)


def _django_env(database_url: str, *, debug: bool) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=database_url)
    env.setdefault("DJANGO_SETTINGS_MODULE", "clvcrm.settings.local")
    if not debug:
        env["DEBUG"] = "false"
    return env


def _check_ran(run: Measured, what: str) -> None:
    if run.returncode:
        tail = "\n".join(run.stderr.splitlines()[-40:])
        signal = f" (killed by signal {-run.returncode})" if run.returncode < 0 else ""
        marks = ", ".join(f"{p}% {_mb(run.rss_at(p / 100))}" for p in RSS_MARKS if run.samples)
        raise BenchmarkError(
            f"{what} exited with status {run.returncode}{signal} after {run.seconds:.1f} s "
            f"({run.cpu_seconds:.1f} s CPU, peak RSS {_mb(run.peak_rss)} MB, peak PSS with "
            f"children {_mb(run.peak_tree_pss)} MB; RSS (MB) at "
            f"{marks}):\n{run.stdout}\n{tail}"
        )


def _describe_run(run: Measured, rows: int) -> str:
    marks = ", ".join(f"{p}% {_mb(run.rss_at(p / 100))}" for p in range(10, 100, 10) if run.samples)
    output = "\n".join(f"    | {line}" for line in run.stdout.strip().splitlines())
    return (
        f"  {run.seconds:.1f} s ({run.cpu_seconds:.1f} s CPU), {rows / run.seconds:,.0f} rows/s, "
        f"peak RSS {_mb(run.peak_rss)} MB, peak PSS with children {_mb(run.peak_tree_pss)} MB"
        f"\n  RSS (MB) at {marks}\n{output}"
    )


def _mb(value: int | float | None) -> str:
    return "?" if value is None else f"{value / MB:,.0f}"


# --------------------------------------------------------------------------- the report


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


RSS_MARKS = range(10, 101, 10)


def reproduce_command(args: argparse.Namespace) -> str:
    parts = [".venv/bin/python benchmarks/import_orders.py"]
    parts.append(f"--rows {args.rows} --customers {args.customers}")
    if args.repeat != 1:
        parts.append(f"--repeat {args.repeat}")
    if args.batch_rows:
        parts.append(f"--batch-rows {args.batch_rows}")
    if args.seed != 1:
        parts.append(f"--seed {args.seed}")
    if args.django_debug:
        parts.append("--django-debug")
    return " ".join(parts)


def render_section(
    args: argparse.Namespace, results: Results, box: dict[str, str], pg: dict[str, str]
) -> str:
    """The Markdown of the "Order import" section."""
    f, r = results.csv_file, results
    first, second = r.first, r.second
    rounds = len(r.rounds)
    medians = f"medians of {rounds} runs" if rounds > 1 else "one run"
    met = {True: "**met**", False: "**not met**"}
    rss = r.first_rss
    total = f.seconds + sum(
        x.migrate_seconds + x.first.seconds + x.second.seconds + x.floor_seconds for x in r.rounds
    )
    deciles = " · ".join(_mb(rss[p]) for p in RSS_MARKS)
    debug = "`DEBUG=true`" if args.django_debug else "`DEBUG=false` (as in production)"
    batch = f"`--batch-rows {args.batch_rows}`" if args.batch_rows else "the default batch size"
    lines = [
        "## Order import",
        "",
        f"Measured {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by "
        f"`benchmarks/import_orders.py` ({medians}).",
        "",
        f"- **Machine:** {box['cpus']} CPUs ({box['cpu']}), {box['ram']} RAM, Linux "
        f"{box['kernel']}; PostgreSQL {pg['server_version']} on the same machine "
        f"(shared_buffers {pg['shared_buffers']}, max_wal_size {pg['max_wal_size']}, "
        f"synchronous_commit {pg['synchronous_commit']}); Python {box['python']}. "
        f"Load average {box['load']} when the run started, {box['load_end']} when it ended "
        "(other work on the machine slows every figure down).",
        f"- **File:** {f.rows:,} rows (one order each, no `sku`), {f.customers:,} customers, "
        f"{f.size / MB:,.0f} MB; columns `{HEADER.strip()}`; sorted by `placed_at` over "
        f"{SPAN_DAYS // 365} years, so each customer's rows are scattered through the file.",
        f"- **Run:** `manage.py import_orders FILE` as a subprocess with {debug} and {batch}, "
        "into a freshly migrated database. Seconds are wall time including Django start-up; "
        "CPU is the user + system time of the importer and its reading child (PostgreSQL's "
        "is not in it); peak RSS is the importer process's `ru_maxrss` and `VmHWM` (the "
        "larger of it and its child's); peak PSS is the proportional set size of the "
        "importer and its child summed, sampled every 0.5 s: the memory the two hold "
        "together, pages they share counted once. MB are 10^6 bytes.",
        "",
        "| | seconds | rows/s | importer CPU s | peak RSS | peak PSS, with child |",
        "|---|---:|---:|---:|---:|---:|",
        f"| First import (empty database) | {first['seconds']:,.1f} | "
        f"{r.rate(first['seconds']):,.0f} | {first['cpu']:,.1f} | {_mb(first['peak'])} MB | "
        f"{_mb(first['tree'])} MB |",
        f"| Second import of the same file (0 new orders) | {second['seconds']:,.1f} | "
        f"{r.rate(second['seconds']):,.0f} | {second['cpu']:,.1f} | {_mb(second['peak'])} MB | "
        f"{_mb(second['tree'])} MB |",
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
        "",
        f"RSS of the first import's process at 10 % / 50 % / 90 % of the run: {_mb(rss[10])} / "
        f"{_mb(rss[50])} / {_mb(rss[90])} MB, peak {_mb(first['peak'])} MB "
        f"(at every 10 % of the run: {deciles} MB).",
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
        f"{met[r.speed_met]} ({r.rate(first['seconds']):,.0f} rows/s; the re-import ran at "
        f"{r.rate(second['seconds']):,.0f} rows/s). Under {TARGET_RSS_MB} MB resident: "
        f"{met[r.memory_met]} ({_mb(r.peak)} MB, the larger of the peak RSS and the peak "
        "PSS with the child).",
        "",
        f"Reproduce (about {_minutes(total)} here; needs {_disk(f.size)} of temporary disk):",
        "",
        "```sh",
        reproduce_command(args),
        "```",
    ]
    return "\n".join(lines)


def _disk(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / MB:,.0f} MB"


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))} min"


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000_000, help="orders in the file")
    parser.add_argument("--customers", type=int, default=1_000_000, help="distinct customers")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the report shows medians")
    parser.add_argument("--keep-file", action="store_true", help="keep the CSV file (and logs)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the file")
    parser.add_argument("--batch-rows", type=int, help="passed on to import_orders")
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="maintenance database URL of the PostgreSQL server (env BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--database", default="clvcrm_bench_import", help="scratch database")
    parser.add_argument("--doc", type=Path, default=DOC_PATH, help="report file to update")
    parser.add_argument("--no-doc", action="store_true", help="print only, do not write --doc")
    parser.add_argument("--django-debug", action="store_true", help="run with the DEBUG default")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    server = Server(args.server)
    box, pg = machine(), server.settings()
    say(
        f"Machine: {box['cpus']} CPUs ({box['cpu']}), {box['ram']} RAM; "
        f"PostgreSQL {pg['server_version']}; load average {box['load']}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="clvcrm-bench-import-"))
    keep = args.keep_file
    try:
        path = workdir / f"orders-{args.rows}-{args.customers}.csv"
        say(f"Generating {args.rows:,} rows for {args.customers:,} customers ...")
        csv_file = generate_csv(path, args.rows, args.customers, args.seed)
        say(
            f"  {path}: {csv_file.size:,} bytes ({csv_file.size / MB:,.0f} MB) in "
            f"{csv_file.seconds:.1f} s"
        )
        rounds = []
        for number in range(1, args.repeat + 1):
            try:
                rounds.append(run_round(args, server, csv_file, workdir, number))
            except BenchmarkError:
                raise  # keep the database to look at; the next run drops it
            except BaseException:
                server.drop(args.database)
                raise
            server.drop(args.database)
        box["load_end"] = load_average()
        results = Results(rounds, csv_file)
        section = render_section(args, results, box, pg)
        say("\n" + section + "\n")
        if not args.no_doc:
            write_section(args.doc, "import_orders", section)
            say(f"Updated {args.doc}")
        return 1 if args.strict and not (results.speed_met and results.memory_met) else 0
    except BenchmarkError as exc:
        keep = True  # the logs say what went wrong
        say(
            f"\nBENCHMARK FAILED: {exc}\nFile and logs kept in {workdir}; database "
            f"{args.database} kept as it was (the next run drops it)."
        )
        return 2
    finally:
        if keep:
            say(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
