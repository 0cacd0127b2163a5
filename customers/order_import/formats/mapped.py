"""Any other CSV, read through a column mapping chosen on the upload page.

When a file's header is neither clvcrm's nor a shop export's, staff pick, on the import's
page, which of the file's columns gives each clvcrm column; the mapping is remembered
(:class:`~customers.models.ColumnMapping`, keyed by the header) and every later file with the
same header is read through it, by the upload page and the command alike.
"""

import hashlib
from collections.abc import Callable

from customers.models import ColumnMapping
from customers.order_import.errors import Rejection
from customers.order_import.formats.base import Cells, ExportFormat, normalise

MAPPED_KEY = "mapped"
MAPPED_LABEL = "columns mapped on the upload page"


def header_key(names: list[str]) -> str:
    """The key a header's mapping is remembered by: its normalised column names, in order."""
    joined = "\x1f".join(normalise(n) for n in names)
    return hashlib.sha256(joined.encode()).hexdigest()


def mapped_format(columns: dict[str, str]) -> ExportFormat:
    """The format that reads clvcrm column ``c`` from the file's column ``columns[c]``."""
    keys = {column: normalise(name) for column, name in columns.items() if name}

    def mapper(_: dict[str, int]) -> Callable[[int, Cells], dict[str, str] | list[Rejection]]:
        def read(row: int, cells: Cells) -> dict[str, str] | list[Rejection]:
            return {column: cells(key) for column, key in keys.items()}

        return read

    return ExportFormat(
        key=MAPPED_KEY,
        label=MAPPED_LABEL,
        required=frozenset(),
        columns={column: name for column, name in columns.items() if name},
        mapper=mapper,
    )


def remembered(names: list[str]) -> ExportFormat | None:
    """The format of the mapping remembered for this header (normalised ``names``), if any."""
    mapping = ColumnMapping.objects.filter(header_key=header_key(names)).first()
    return mapped_format(mapping.columns) if mapping is not None else None
