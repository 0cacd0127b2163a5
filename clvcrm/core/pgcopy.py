"""Binary COPY payloads built from numpy arrays, for writing a million rows at once.

PostgreSQL's binary COPY format is a header, then per row a 16-bit field count and for
each field a 32-bit length followed by the value in network byte order. When every field
has a fixed width (integers, floats, dates, fixed-length text) a whole table is one
numpy structured array, encoded without a Python loop over rows.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
PG_EPOCH_DAYS = 10_957  # 2000-01-01 in days since 1970-01-01
# PostgreSQL type -> big-endian numpy dtype of its binary representation.
DTYPES = {
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "date": ">i4",
}


def binary_copy_payload(columns: Sequence[tuple[str, NDArray[Any]]]) -> bytes:
    """Encode aligned arrays as a binary COPY payload.

    columns: (PostgreSQL type, array of shape (n,)) pairs, in table column order. Types:
    int2, int4, int8, float8, date (given as int days since 1970-01-01) and ``textN``
    (bytes of exactly N characters, numpy dtype ``SN``). No value may be NULL.
    """
    n = len(columns[0][1]) if columns else 0
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for i, (pg_type, _) in enumerate(columns):
        fields += [(f"len{i}", ">i4"), (f"val{i}", _dtype(pg_type))]
    table = np.empty(n, dtype=np.dtype(fields))
    table["count"] = len(columns)
    for i, (pg_type, values) in enumerate(columns):
        if len(values) != n:
            raise ValueError("all columns must have the same length")
        dtype = np.dtype(_dtype(pg_type))
        table[f"len{i}"] = dtype.itemsize
        table[f"val{i}"] = values - PG_EPOCH_DAYS if pg_type == "date" else values
    return HEADER + table.tobytes() + TRAILER


def _dtype(pg_type: str) -> str:
    if pg_type.startswith("text"):
        return f"S{int(pg_type[4:])}"
    return DTYPES[pg_type]
