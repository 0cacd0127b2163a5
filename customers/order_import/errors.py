"""What the import reports: a file it refuses, rows it rejects and rows it warns about."""

from dataclasses import dataclass
from typing import ClassVar

from clvcrm.core.model_fields import max_length
from customers.models import ImportRejection


def _stored_length(name: str) -> int:
    return max_length(ImportRejection, name)


# A report line fits the row of ImportRejection that stores it: the model's lengths.
STORED_LENGTHS = {name: _stored_length(name) for name in ("order_id", "column", "value", "reason")}


class ImportFileError(Exception):
    """The file cannot be imported at all (not UTF-8, not CSV, required columns missing).

    Raised before anything is written; the message says what is wrong and how to fix it.
    """


@dataclass(frozen=True, slots=True)
class RowReport:
    """One line of an import's report: a row, the column concerned and what happened."""

    row: int
    column: str
    value: str
    reason: str
    order_id: str = ""

    KIND: ClassVar[str] = ""
    REPORT_HEADER: ClassVar[tuple[str, ...]] = (
        "row",
        "kind",
        "order_id",
        "column",
        "value",
        "reason",
    )

    def __post_init__(self) -> None:
        # A cell or a database message can be any length; the report keeps what fits.
        for name, length in STORED_LENGTHS.items():
            text = getattr(self, name)
            if len(text) > length:
                object.__setattr__(self, name, text[:length])

    def as_report_row(self) -> tuple[str, ...]:
        return (str(self.row), self.KIND, self.order_id, self.column, self.value, self.reason)


@dataclass(frozen=True, slots=True)
class Rejection(RowReport):
    """One reason a row was rejected (nothing of its order was imported); a row may have
    several."""

    KIND: ClassVar[str] = "rejected"


@dataclass(frozen=True, slots=True)
class RowWarning(RowReport):
    """Something about a row that was imported: what the import changed or chose, and why."""

    KIND: ClassVar[str] = "warning"
