"""What the import reports: a file it refuses, and rows it rejects."""

from dataclasses import dataclass


class ImportFileError(Exception):
    """The file cannot be imported at all (not UTF-8, not CSV, required columns missing).

    Raised before anything is written; the message says what is wrong and how to fix it.
    """


@dataclass(frozen=True, slots=True)
class Rejection:
    """One reason a row was rejected; a row may have several."""

    row: int
    column: str
    value: str
    reason: str
    order_id: str = ""

    REPORT_HEADER = ("row", "order_id", "column", "value", "reason")

    def as_report_row(self) -> tuple[str, ...]:
        return (str(self.row), self.order_id, self.column, self.value, self.reason)
