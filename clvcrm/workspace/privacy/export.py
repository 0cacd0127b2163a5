"""A customer's data, every table that mentions them, as JSON (a privacy request's export)."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from clvcrm.core.audit import SECRET_FIELD_NAMES, audit_record
from clvcrm.workspace.privacy.tables import TEXT_REFERENCES, Mentions, customer_tables
from customers.models import Customer

# Rows are read from the cursor in chunks of this many: a customer with 10,000 orders is
# one query per table, never the whole table in the driver's memory at once.
CHUNK_ROWS = 2000


def customer_data_export(customer_id: int, *, actor: Any = None) -> dict[str, Any]:
    """Everything stored about customer ``customer_id``, JSON-safe, by table.

    ``{"customer_id", "exported_at", "tables": {"<app>.<model>": [row, ...]}}``, each row
    its columns by name (keys as ``<field>_id``); every table found by key
    (:func:`~clvcrm.workspace.privacy.tables.customer_tables`) and by text
    (:data:`~clvcrm.workspace.privacy.tables.TEXT_REFERENCES`) is present, empty or not.
    Secrets (token salts and hashes) are left out. One query per table, read in one
    snapshot (a repeatable-read transaction on PostgreSQL is not needed for one customer:
    the rows are read inside one transaction). A staff ``actor`` is recorded in the audit
    log as ``privacy.export`` with the row counts. ``Customer.DoesNotExist`` if none.
    """
    with transaction.atomic():
        customer = Customer.objects.get(pk=customer_id)
        mentions = Mentions.of(customer)
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in customer_tables():
            tables[table.label] = _rows(table.rows_of(customer_id))
        for reference in TEXT_REFERENCES:
            tables[reference.label] = _rows(reference.rows_of(mentions))
        if actor is not None:
            counts = {label: len(rows) for label, rows in tables.items() if rows}
            audit_record(
                actor=actor, action="privacy.export", target=customer, changes={"rows": counts}
            )
    return {
        "customer_id": customer_id,
        "exported_at": timezone.now().isoformat(),
        "tables": tables,
    }


def _rows(rows: QuerySet[Model]) -> list[dict[str, Any]]:
    model = rows.model
    columns = [
        field.attname
        for field in model._meta.concrete_fields
        if field.name not in SECRET_FIELD_NAMES
    ]
    ordered = rows.order_by("pk").values(*columns)
    return [
        {name: json_safe(value) for name, value in row.items()}
        for row in ordered.iterator(chunk_size=CHUNK_ROWS)
    ]


def json_safe(value: Any) -> Any:
    """``value`` as JSON holds it: numbers as they are (money as text, exact), times in ISO
    8601, raw bytes (a webhook's body) as UTF-8 text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    return str(value)  # a country code, a file's name
