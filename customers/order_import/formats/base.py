"""What every shop export format shares: recognising a header, and turning its rows into
the records of clvcrm's own format, one for one, so they go through the import's one
validation and write path (``customers.order_import.importer``).

A format reads a row's cells by normalised column name (``Lineitem quantity`` is
``lineitem_quantity``). Shops write an order over several rows, one per line item, and
some put the order's own fields (status, total, customer) on its first row only: the
order's first row gives them to all its rows. A problem only the format can see (a status
it cannot place, a missing email to key a guest by) rejects that row with the file's
column name and the reason, never the import.
"""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from customers.order_import.errors import Rejection
from customers.order_import.rows import unreadable


def normalise(name: str) -> str:
    """A header's column name as the import compares it: ``Lineitem quantity`` is
    ``lineitem_quantity``."""
    return name.strip().lstrip("\ufeff").strip().lower().replace(" ", "_")


# A row of a shop's file: its number and its cells, or the CSV error that made it unreadable.
SourceRecord = tuple[int, list[str] | csv.Error]
# A row in clvcrm's format ({column: text}), or why the format rejected it.
MappedRow = dict[str, str] | list[Rejection] | csv.Error


@dataclass
class Cells:
    """One row's cells by normalised column name; a column the file lacks reads as ``""``."""

    fields: list[str]
    columns: dict[str, int]

    def __call__(self, name: str) -> str:
        i = self.columns.get(name)
        return self.fields[i].strip() if i is not None and i < len(self.fields) else ""


@dataclass
class Problems:
    """The reasons one row is rejected, worded as the clvcrm import words them."""

    row: int
    order_id: str
    found: list[Rejection] = field(default_factory=list)

    def __call__(self, column: str, value: str, reason: str) -> None:
        self.found.append(Rejection(self.row, column, value, reason, self.order_id[:64]))


@dataclass(frozen=True)
class ExportFormat:
    """A shop platform's order export: how to recognise it and how to read its rows.

    ``required`` are the normalised column names that together identify it;
    ``columns`` names, for each clvcrm column it fills, the file's column it comes from
    (how a rejection found by the common checks names the cell); ``mapper`` makes a
    fresh row mapper for one file (mappers remember the current order).
    """

    key: str
    label: str
    required: frozenset[str]
    columns: dict[str, str]
    mapper: Callable[[dict[str, int]], "Callable[[int, Cells], dict[str, str] | list[Rejection]]"]
    # clvcrm column → (the file's column it needs, what fills it when the file lacks that).
    fallbacks: dict[str, tuple[str, str]] = field(default_factory=dict)

    def file_columns(self, names: dict[str, int]) -> dict[str, str]:
        """For each clvcrm column, the column of this file (by normalised ``names``) it
        comes from: how a rejection names the cell."""
        columns = dict(self.columns)
        for column, (needed, fallback) in self.fallbacks.items():
            if needed not in names:
                columns[column] = fallback
        return columns

    def recognises(self, names: list[str]) -> bool:
        return self.required <= set(names)

    def map_rows(
        self, records: Iterator[SourceRecord], columns: dict[str, int]
    ) -> Iterator[tuple[int, MappedRow]]:
        """The file's rows as clvcrm records; whatever goes wrong rejects that row only."""
        mapper = self.mapper(columns)
        for row, fields in records:
            if isinstance(fields, csv.Error):
                yield row, fields
                continue
            try:
                yield row, mapper(row, Cells(fields, columns))
            except Exception as exc:  # the safety net: one row never stops the import
                yield row, [Rejection(row, "", "", unreadable(exc))]


class OrderRows:
    """Remembers the order being read: its id and the cells of its first row, which give
    the order's own fields to its later rows."""

    def __init__(self) -> None:
        self.order_id: str | None = None
        self.first: Cells | None = None

    def first_row(self, order_id: str, cells: Cells) -> Cells:
        """The first row of the order ``cells`` belongs to (``cells`` itself if it starts one)."""
        if order_id != self.order_id or self.first is None:
            self.order_id, self.first = order_id, cells
        return self.first
