"""The marketing spend CSV: ``month, channel, amount``, one row per month and channel.

Reported like the order import: a file that cannot be read at all is refused before
anything is written (:class:`SpendFileError`); each bad row is rejected with its row
number (the header is row 1), the column and the reason, and the good rows next to it
still go in. A month and channel named by two rows is rejected in both (which amount is
meant cannot be told).
"""

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clvcrm.core.input_values import InputValueError
from customers.marketing.values import (
    ChannelNames,
    SpendEntry,
    amount_from_text,
    month_from_text,
)

COLUMNS = ("month", "channel", "amount")
DELIMITERS = (",", ";", "\t")
# A cell longer than this is never a month, a channel name or an amount.
MAX_CELL = 1000
# Binary files people pick by mistake, by their first bytes.
BINARY_SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive or an Excel workbook (.xlsx); export it as CSV",
    b"\xd0\xcf\x11\xe0": "an old Excel file (.xls); export it as CSV",
    b"%PDF": "a PDF document",
}


class SpendFileError(Exception):
    """The file cannot be imported at all; the message says why and how to fix it."""


@dataclass(frozen=True, slots=True)
class SpendRejection:
    """One reason a row was not imported: the row (the header is row 1), column, value."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class SpendFile:
    """A file read: the good rows' entries and every rejection, in row order."""

    rows: int = 0
    entries: list[SpendEntry] = field(default_factory=list)
    rejections: list[SpendRejection] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return len({rejection.row for rejection in self.rejections})


def spend_file_read(content: bytes) -> SpendFile:
    """Read a whole spend file (small: months × channels rows) and check every row.

    Raises :class:`SpendFileError` for a file that is not a UTF-8 CSV with the three
    columns. Reads the channels once.
    """
    text = _text_of(content)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise SpendFileError("the file is empty: expected a header line month,channel,amount")
    delimiter, positions = _header(lines[0])
    channels = ChannelNames()
    result = SpendFile()
    read: list[tuple[int, SpendEntry, str]] = []  # row, entry, its month as written
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader)
    try:
        for row, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            result.rows += 1
            entry = _entry(row, cells, positions, channels, result.rejections)
            if entry is not None:
                read.append((row, entry, cells[positions["month"]]))
    except csv.Error as exc:
        raise SpendFileError(
            f"the file is not valid CSV near row {reader.line_num}: {exc}"
        ) from exc
    _keep_unique(read, result)
    result.rejections.sort(key=lambda rejection: rejection.row)
    return result


def _text_of(content: bytes) -> str:
    for signature, what in BINARY_SIGNATURES.items():
        if content.startswith(signature):
            raise SpendFileError(f"this is not a CSV file: it looks like {what}")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpendFileError(
            "the file is not UTF-8 text; save it as CSV UTF-8 (in Excel: Save as, CSV UTF-8)"
        ) from None
    if "\x00" in text:
        raise SpendFileError("this is not a CSV file: it contains NUL characters")
    return text


def _header(line: str) -> tuple[str, dict[str, int]]:
    """The delimiter that gives the most columns, and where the three columns are."""
    best: tuple[str, list[str]] = (",", [])
    for delimiter in DELIMITERS:
        cells = next(csv.reader([line], delimiter=delimiter), [])
        if len(cells) > len(best[1]):
            best = (delimiter, cells)
    delimiter, cells = best
    names = [cell.strip().casefold() for cell in cells]
    positions = {name: names.index(name) for name in COLUMNS if name in names}
    missing = [name for name in COLUMNS if name not in positions]
    if missing:
        raise SpendFileError(
            f"required column(s) missing: {', '.join(missing)}; the header must name "
            "month, channel and amount"
        )
    return delimiter, positions


def _entry(
    row: int,
    cells: list[str],
    positions: dict[str, int],
    channels: ChannelNames,
    rejections: list[SpendRejection],
) -> SpendEntry | None:
    values: dict[str, Any] = {}
    readers: dict[str, Callable[[str], Any]] = {
        "month": month_from_text,
        "channel": channels.channel_id,
        "amount": amount_from_text,
    }
    for name, read in readers.items():
        position = positions[name]
        cell = cells[position] if position < len(cells) else ""
        if len(cell) > MAX_CELL:
            rejections.append(SpendRejection(row, name, cell[:50] + "…", "the cell is too long"))
            continue
        try:
            values[name] = read(cell)
        except InputValueError as exc:
            rejections.append(SpendRejection(row, name, cell, str(exc)))
    if len(values) < len(readers):
        return None
    return SpendEntry(month=values["month"], channel_id=values["channel"], amount=values["amount"])


def _keep_unique(read: list[tuple[int, SpendEntry, str]], result: SpendFile) -> None:
    """The entries whose month and channel no other row names; the others rejected."""
    rows_of: dict[tuple[object, int], list[int]] = defaultdict(list)
    for row, entry, _ in read:
        rows_of[(entry.month, entry.channel_id)].append(row)
    for row, entry, month in read:
        others = [str(other) for other in rows_of[(entry.month, entry.channel_id)] if other != row]
        if not others:
            result.entries.append(entry)
            continue
        reason = f"the same month and channel as row {', '.join(others)}: one amount each"
        result.rejections.append(SpendRejection(row, "month", month, reason))
