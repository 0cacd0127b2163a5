"""CSV downloads that are safe to open in a spreadsheet and streamed in constant memory."""

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (CSV injection).

    Only text is touched: numbers keep their sign, so ``-3.5`` stays a number.
    """
    if isinstance(value, int | float):
        return str(value)
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def safe_row(values: Iterable[Any]) -> list[str]:
    """A row's cells made safe with :func:`safe_cell`: every CSV this project writes for
    people to open (downloads, the import command's report) goes through here."""
    return [safe_cell(value) for value in values]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Yield CSV lines, the header first, with every text cell made safe."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(safe_row(row))


def csv_download(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV attachment; pass ``rows`` as an iterator (e.g. ``.iterator()``)."""
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
