"""A dry run's report, kept in a temporary file until its transaction has been undone."""

import csv
import tempfile
from collections.abc import Iterator
from types import TracebackType
from typing import IO

from customers.order_import.errors import Rejection, RowReport, RowWarning

_KINDS: dict[str, type[RowReport]] = {Rejection.KIND: Rejection, RowWarning.KIND: RowWarning}


class ReportSpool:
    """Report lines written to a temporary file as they come and read back in order.

    A dry run writes in one transaction that is rolled back at its end, report rows
    included; the report of an upload's dry run must stay. A file keeps memory flat
    however many rows the dry run rejects.
    """

    def __enter__(self) -> "ReportSpool":
        self._file: IO[str] = tempfile.TemporaryFile("w+", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._file.close()

    def add(self, line: RowReport) -> None:
        self._writer.writerow(
            (line.KIND, line.row, line.column, line.value, line.reason, line.order_id)
        )

    def lines(self) -> Iterator[RowReport]:
        """Every line added, in order."""
        self._file.flush()
        self._file.seek(0)
        for kind, row, column, value, reason, order_id in csv.reader(self._file):
            yield _KINDS[kind](int(row), column, value, reason, order_id)
