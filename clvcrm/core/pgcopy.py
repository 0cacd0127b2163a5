"""Binary COPY data to and from numpy arrays, for moving a million rows at once.

PostgreSQL's binary COPY format is a header, then per row a 16-bit field count and for
each field a 32-bit length followed by the value in network byte order, then a trailer.
When every field has a fixed width (integers, floats, dates, timestamps, booleans,
fixed-length text, numerics of a fixed layout) a whole table is one numpy structured
array, encoded or decoded without a Python loop over rows. This is the one binary COPY
encoder of the project: the CLV run's score stage and the benchmarks' shop loader use it.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
PG_EPOCH_DAYS = 10_957  # 2000-01-01 in days since 1970-01-01
PG_EPOCH_MICROSECONDS = PG_EPOCH_DAYS * 86_400 * 1_000_000
# PostgreSQL type -> big-endian numpy dtype of its binary representation.
DTYPES = {
    "bool": "u1",
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "date": ">i4",
    "timestamptz": ">i8",
}
# Values are sent relative to PostgreSQL's epoch; callers give them relative to Unix's.
EPOCH_OFFSETS = {"date": PG_EPOCH_DAYS, "timestamptz": PG_EPOCH_MICROSECONDS}
# A numeric is sent as this many base-10000 digit groups before the point and one after:
# any amount below 10^12 with two decimals, in a fixed width.
NUMERIC_GROUPS = 3

Column = tuple[str, Any]


def binary_copy_payload(columns: Sequence[Column]) -> bytes:
    """Encode aligned columns as a complete binary COPY payload (header, rows, trailer).

    columns: (PostgreSQL type, values) pairs in table column order; values are an array of
    shape (n,) or one value for every row (at least one column must be an array). Types:

    - ``bool``, ``int2``, ``int4``, ``int8``, ``float8``: numbers;
    - ``date``: days since 1970-01-01; ``timestamptz``: microseconds since 1970-01-01 UTC;
    - ``numeric``: integer hundredths (cents), sent as a numeric with 2 decimals, |v| < 10^12;
    - ``textN``: bytes of exactly N characters (numpy dtype ``SN``); ``text0`` is ''.

    No value may be NULL.
    """
    return HEADER + binary_copy_rows(columns) + TRAILER


def binary_copy_rows(columns: Sequence[Column]) -> bytes:
    """The rows of ``binary_copy_payload`` alone, without header and trailer.

    Rows of consecutive calls can follow each other in one COPY stream: write ``HEADER``
    once, the rows of each chunk, then ``TRAILER``.
    """
    lengths = {len(values) for _, values in columns if np.ndim(values)}
    if len(lengths) != 1:
        raise ValueError("columns must be arrays of one length (or single values)")
    layout: list[tuple[str, Any]] = [("count", ">i2")]
    for i, (pg_type, _) in enumerate(columns):
        layout.append((f"len{i}", ">i4"))
        if _dtype(pg_type).itemsize:
            layout.append((f"val{i}", _dtype(pg_type)))
    table = np.empty(lengths.pop(), dtype=np.dtype(layout))
    table["count"] = len(columns)
    for i, (pg_type, values) in enumerate(columns):
        table[f"len{i}"] = _dtype(pg_type).itemsize
        if _dtype(pg_type).itemsize:
            table[f"val{i}"] = _binary_values(pg_type, values)
    return table.tobytes()


def binary_copy_read(data: bytes | bytearray, pg_types: Sequence[str]) -> list[NDArray[Any]]:
    """The columns of a ``COPY ... TO STDOUT (FORMAT BINARY)`` output, one array each.

    For the fixed-width number types of ``binary_copy_payload`` (not numeric nor text),
    with no NULL; dates and timestamps come back relative to 1970 as they go in. Plain
    numbers are views of ``data`` (no copy): keep ``data`` while they are in use.
    """
    layout: list[tuple[str, Any]] = [("count", ">i2")]
    for i, pg_type in enumerate(pg_types):
        if pg_type not in DTYPES:
            raise ValueError(f"cannot read {pg_type} columns (fixed-width numbers only)")
        layout += [(f"len{i}", ">i4"), (f"val{i}", DTYPES[pg_type])]
    rows = np.frombuffer(memoryview(data)[len(HEADER) : -len(TRAILER)], dtype=np.dtype(layout))
    return [
        rows[f"val{i}"] + EPOCH_OFFSETS[t] if t in EPOCH_OFFSETS else rows[f"val{i}"]
        for i, t in enumerate(pg_types)
    ]


def _dtype(pg_type: str) -> np.dtype[Any]:
    if pg_type.startswith("text"):
        return np.dtype(f"S{int(pg_type[4:])}")
    if pg_type == "numeric":
        return _NUMERIC
    return np.dtype(DTYPES[pg_type])


def _binary_values(pg_type: str, values: Any) -> Any:
    if pg_type == "numeric":
        return _numeric(np.asarray(values, dtype=np.int64))
    return np.subtract(values, EPOCH_OFFSETS[pg_type]) if pg_type in EPOCH_OFFSETS else values


_NUMERIC = np.dtype(
    [
        ("ndigits", ">i2"),
        ("weight", ">i2"),
        ("sign", ">u2"),
        ("dscale", ">i2"),
        ("digits", ">i2", (NUMERIC_GROUPS + 1,)),
    ]
)


def _numeric(cents: NDArray[np.int64]) -> NDArray[Any]:
    """Binary numerics with two decimals, all of one width, from integer hundredths.

    A numeric is ndigits, weight, sign, dscale, then base-10000 digits; the server strips
    leading and trailing zero digits on receipt, so every value can carry the same groups.
    """
    units, fraction = np.divmod(np.abs(np.atleast_1d(cents)), 100)
    if units.size and units.max() >= 10_000**NUMERIC_GROUPS:
        raise ValueError("value too large for the numeric encoding")
    out = np.empty(len(units), dtype=_NUMERIC)
    out["ndigits"] = NUMERIC_GROUPS + 1
    out["weight"] = NUMERIC_GROUPS - 1
    out["sign"] = np.where(np.atleast_1d(cents) < 0, 0x4000, 0)
    out["dscale"] = 2
    for group in range(NUMERIC_GROUPS):
        out["digits"][:, group] = (units // 10_000 ** (NUMERIC_GROUPS - 1 - group)) % 10_000
    out["digits"][:, NUMERIC_GROUPS] = fraction * 100
    return out if np.ndim(cents) else out[0]
