"""Open an order CSV safely: refuse unreadable files up front, then stream its rows.

Everything that can make the whole file unusable (binary content, an encoding other than
UTF-8, a header without the required columns) is found here, before a single row is
written. The check reads the file once in 1 MiB chunks, so memory stays flat.
"""

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from customers.order_import.errors import ImportFileError
from customers.order_import.formats import ExportFormat, recognise, remembered
from customers.order_import.formats.base import normalise

REQUIRED_COLUMNS = ("customer_id", "order_id", "placed_at", "amount")
OPTIONAL_COLUMNS = (
    "order_total",
    "refunded_amount",
    "email",
    "first_name",
    "last_name",
    "country",
    "channel",
    "marketing_consent",
    "currency",
    "status",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price",
)
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
DELIMITERS = (",", ";", "\t", "|")
CHUNK = 1 << 20
# Magic numbers of files people upload by mistake instead of a CSV export.
BINARY_SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive or an Excel workbook (.xlsx); export it as CSV",
    b"\xd0\xcf\x11\xe0": "an old Excel or Word file (.xls/.doc); export it as CSV",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive; decompress it first",
}

# The longest cell, and the longest header line, the import reads: a cell of more than a
# mebibyte is never an order's data, and the csv module's own limit is 128 KiB.
MAX_CELL = 1 << 20
csv.field_size_limit(MAX_CELL)


@dataclass(frozen=True)
class CsvLayout:
    """What the header told us: delimiter, column positions, columns we will ignore, and
    the shop export it is (``None``: clvcrm's own format; then ``columns`` are clvcrm's,
    else the export's, by normalised name)."""

    delimiter: str
    columns: dict[str, int]
    ignored: tuple[str, ...]
    size: int
    file_format: ExportFormat | None = None


def inspect_file(path: Path) -> CsvLayout:
    """Check that ``path`` is a UTF-8 CSV file with the required columns.

    Raises :class:`ImportFileError` naming the problem. A UTF-8 byte-order mark is allowed.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as raw:
            _check_bytes(raw)
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if size == 0:
        raise ImportFileError("the file is empty: expected a header line with column names")
    with path.open(encoding="utf-8-sig", newline="") as text:
        header_line = text.readline(MAX_CELL + 1)
    if len(header_line) > MAX_CELL:
        raise ImportFileError(
            "the first line (the header) is longer than 1 MiB: expected a header line with "
            "column names"
        )
    return _layout_from_header(header_line, size)


def header_of(path: Path) -> list[str]:
    """The column names of the file's header as written (to choose a column mapping), cut
    at the separator that gives the most. Raises :class:`ImportFileError` for a file that
    cannot be read, as :func:`inspect_file` does."""
    try:
        with path.open("rb") as raw:
            _check_bytes(raw)
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with path.open(encoding="utf-8-sig", newline="") as text:
        header_line = text.readline(MAX_CELL + 1)
    if len(header_line) > MAX_CELL or not header_line.strip():
        raise ImportFileError("the first line is not a header line with column names")
    cells = max((_header_cells(header_line, d) for d in DELIMITERS), key=len)
    return [cell.strip() for cell in cells]


def _check_bytes(raw: io.BufferedReader) -> None:
    head = raw.read(1024)
    for signature, what in BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise ImportFileError(f"this is not a CSV file: it looks like {what}")
    wide = _wide_unicode(head)
    if wide:
        raise ImportFileError(
            f"this is {wide} text; save it as UTF-8 (in Excel: Save as, CSV UTF-8), then "
            "import it again"
        )
    raw.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    lines = 1
    while chunk := raw.read(CHUNK):
        nul = chunk.find(b"\x00")
        if nul >= 0:
            line = lines + chunk.count(b"\n", 0, nul)
            raise ImportFileError(
                f"this is not a CSV text file: binary data (a NUL byte) at line {line}"
            )
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = lines + chunk.count(b"\n", 0, exc.start)
            raise ImportFileError(
                f"the file is not UTF-8 text: byte 0x{chunk[exc.start]:02x} at line {line} "
                f"(byte offset {offset + exc.start}) cannot be decoded; "
                "save or export the file as UTF-8 CSV"
            ) from exc
        offset += len(chunk)
        lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            "the file is not UTF-8 text: it ends in the middle of a character; "
            "save or export the file as UTF-8 CSV"
        ) from exc


def _wide_unicode(head: bytes) -> str:
    """``"UTF-16"`` or ``"UTF-32"`` if the file starts like text in that encoding, else ``""``.

    With a byte-order mark that is certain. Without one, text of mostly Latin letters in
    UTF-16 has a NUL byte in every other place (after each letter, or before it).
    """
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    pairs = len(head) // 2
    if pairs < 2:
        return ""
    even, odd = head[0 : 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
    if min(even, odd) == 0 and max(even, odd) >= pairs / 2:
        return "UTF-16"
    return ""


def _layout_from_header(header_line: str, size: int) -> CsvLayout:
    if not header_line.strip():
        raise ImportFileError("the first line is empty: expected a header line with column names")
    best: list[str] = []
    cut = [
        (delimiter, [normalise(n) for n in _header_cells(header_line, delimiter)])
        for delimiter in DELIMITERS
    ]
    for delimiter, names in cut:
        if set(REQUIRED_COLUMNS) <= set(names):
            return _layout(names, delimiter, size)
        export = recognise(names)
        if export is not None:
            return _export_layout(names, delimiter, size, export)
        if len(set(names) & set(KNOWN_COLUMNS)) > len(set(best) & set(KNOWN_COLUMNS)):
            best = names
    for delimiter, names in cut:  # a header of another layout, mapped on the upload page
        export = remembered(names)
        if export is not None:
            return _export_layout(names, delimiter, size, export)
    found = ", ".join(n for n in best if n) or header_line.strip()[:200]
    missing = [c for c in REQUIRED_COLUMNS if c not in best]
    raise ImportFileError(
        f"required column(s) missing: {', '.join(missing)}. The first line must name the "
        f"columns {', '.join(REQUIRED_COLUMNS)} (found: {found})"
    )


def _export_layout(names: list[str], delimiter: str, size: int, export: ExportFormat) -> CsvLayout:
    """The layout of a shop export: its columns by normalised name (the first of a name)."""
    columns = {name: i for i, name in reversed(list(enumerate(names))) if name}
    return CsvLayout(delimiter, columns, (), size, export)


def _header_cells(header_line: str, delimiter: str) -> list[str]:
    try:
        cells = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFileError(f"the first line (the header) cannot be read as CSV: {exc}") from exc
    if any("\n" in cell or "\r" in cell for cell in cells):
        # An open quote: the rows below would become part of the header.
        raise ImportFileError(
            'the first line (the header) has a quote (") that is never closed: expected a '
            "header line with column names"
        )
    return cells


def _layout(names: list[str], delimiter: str, size: int) -> CsvLayout:
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        raise ImportFileError(f"column(s) named twice in the header: {', '.join(duplicated)}")
    columns = {name: i for i, name in enumerate(names) if name in KNOWN_COLUMNS}
    ignored = tuple(n for n in names if n and n not in KNOWN_COLUMNS)
    return CsvLayout(delimiter=delimiter, columns=columns, ignored=ignored, size=size)


class _CountingReader(io.RawIOBase):
    """A binary reader that remembers how many bytes were read, for the progress display."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self._raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # RawIOBase takes any buffer; BufferedReader passes a memoryview
        n = self._raw.readinto(buffer)
        self.bytes_read += n or 0
        return n or 0


def iter_records(
    path: Path, layout: CsvLayout, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """Yield ``(row_number, fields)`` for every non-empty data row; the header is row 1.

    A row the CSV parser cannot read yields the :class:`csv.Error` instead of its fields, so
    the caller can reject that row and go on. ``on_bytes`` is called with the bytes consumed
    so far, about every 10,000 rows.
    """
    with path.open("rb") as raw:
        counter = _CountingReader(raw)
        text = io.TextIOWrapper(io.BufferedReader(counter, CHUNK), encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=layout.delimiter)
        next(reader)  # the header, checked by inspect_file
        row_number = 1  # of the last row read
        while True:
            # enumerate numbers the rows in C; the reader goes on after a bad row.
            numbered = enumerate(reader, start=row_number + 1)
            try:
                for row_number, fields in numbered:
                    if any(fields):  # not a blank line
                        yield row_number, fields
                    if on_bytes is not None and not row_number % 10_000:
                        on_bytes(counter.bytes_read)
                break
            except csv.Error as exc:
                row_number += 1
                yield row_number, exc
        if on_bytes is not None:
            on_bytes(counter.bytes_read)
