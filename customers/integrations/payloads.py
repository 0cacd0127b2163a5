"""What the connectors share: reading a delivery's JSON and the order it maps to."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from customers.order_import.rows import cell_text

CENT = Decimal("0.01")


class PayloadError(ValueError):
    """A delivery that maps to no order: the reason is stored on its event."""


@dataclass
class MappedOrder:
    """A delivery's order as records of clvcrm's CSV format (one per line item), the
    refunds (id → amount) its ``refunded_amount`` counts, and when the shop last changed
    it (``None``: not said), which tells a late delivery of an older state."""

    order_id: str
    records: list[dict[str, str]]
    refunds: dict[str, Decimal] = field(default_factory=dict)
    updated_at: datetime | None = None


def parse(body: bytes) -> dict[str, Any]:
    """The delivery's JSON object; :class:`PayloadError` if it is not one."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError(f"the body is not JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise PayloadError("the body is not a JSON object")
    return payload


def mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def decimal(value: object) -> Decimal:
    """A money amount; :class:`PayloadError` if it is none."""
    try:
        amount = Decimal(cell_text(value))
    except InvalidOperation:
        raise PayloadError(f"not an amount: {cell_text(value)[:40]!r}") from None
    if not amount.is_finite():
        raise PayloadError(f"not an amount: {cell_text(value)[:40]!r}")
    return amount


def moment(value: object, zone: str = "") -> datetime | None:
    """An ISO 8601 moment with its offset (``zone`` is appended when it has none), or
    ``None`` when there is no readable one."""
    written = cell_text(value)
    try:
        parsed = datetime.fromisoformat(written + zone if written and zone else written)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
