"""A synthetic shop export for the import benchmark: one CSV row per order, drawn with numpy.

The file imitates a shop export: one row per order (no ``sku``), the customer's attributes
repeated on each of their rows, order ids increasing with time, rows sorted by ``placed_at``
over two years, so one customer's rows are scattered through the whole file. Every customer
orders at least once; the other orders go to customers with long-tailed weights. The file is
rendered with numpy in fixed-size chunks (constant memory, a few seconds per million rows).
"""

import csv
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

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
    """A generated file: where, how many rows and customers, its size and how long it took."""

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


def csv_split(csv_file: CsvFile, counts: Sequence[int], directory: Path) -> list[Path]:
    """Cut the file's rows, in order, into files of ``counts`` rows each, with the header.

    The first part is the oldest orders; each later part holds newer orders (new order
    ids) of the same customers, plus the customers whose first order falls in it.
    """
    if sum(counts) > csv_file.rows:
        raise ValueError(f"{sum(counts):,} rows asked of a file of {csv_file.rows:,}")
    parts = []
    with csv_file.path.open("rb") as source:
        header = source.readline()
        for number, count in enumerate(counts):
            part = directory / f"{csv_file.path.stem}-part{number}.csv"
            with part.open("wb") as out:
                out.write(header)
                for _ in range(count):
                    out.write(source.readline())
            parts.append(part)
    return parts


def orders_of(path: Path) -> Iterator[dict[str, Any]]:
    """The file's rows as ``POST /api/v1/orders/`` takes them: one order object per row.

    The cells go as they are in the file, so the API reads the same values as the CSV
    import; an order without ``lines`` is one amount, its ``total`` (the file's ``amount``).
    An empty email is left out, as an empty cell is absent.
    """
    with path.open(newline="") as source:
        for row in csv.DictReader(source):
            customer = {
                "external_id": row["customer_id"],
                "country": row["country"],
                "channel": row["channel"],
                "marketing_consent": row["marketing_consent"],
            }
            if row["email"]:
                customer["email"] = row["email"]
            yield {
                "external_id": row["order_id"],
                "customer": customer,
                "placed_at": row["placed_at"],
                "total": row["amount"],
            }


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
