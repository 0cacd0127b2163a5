"""The public datasets in ``tests/data`` (see its README), and the CDNOW files as order CSVs."""

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def data_file(name: str) -> Path:
    """The path of a dataset in ``tests/data``; a missing file fails the test, never skips it."""
    path = DATA_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: tests/data holds every file the tests read")
    return path


def cdnow_to_orders_csv(source: Path, target: Path, *, sample: bool = False) -> int:
    """Write one order per CDNOW row to ``target``; return the number of rows written.

    Master rows are ``customer_id date cds dollars`` (with a header line); sample rows are
    ``master_id customer_id date cds dollars`` (no header). Order ids are ``<customer>-<n>``,
    numbering each customer's rows, so the conversion is stable and re-importable.
    """
    seen: dict[str, int] = {}
    written = 0
    with source.open() as lines, target.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "order_id", "placed_at", "amount"])
        for line in lines:
            fields = line.split()
            if not fields or not fields[-1].replace(".", "", 1).isdigit():
                continue  # the master file's header line
            customer, day, dollars = (
                (fields[1], fields[2], fields[4]) if sample else (fields[0], fields[1], fields[3])
            )
            seen[customer] = seen.get(customer, 0) + 1
            placed_at = f"{day[:4]}-{day[4:6]}-{day[6:]}"
            writer.writerow([customer, f"{customer}-{seen[customer]}", placed_at, dollars])
            written += 1
    return written
