"""Keyset ("seek") pagination for staff lists that must stay fast at a million rows.

OFFSET pagination reads and discards every earlier row, and its page count needs a full
COUNT(*). Here a page is ``ORDER BY key, id LIMIT n`` starting after the last row of the
previous page, which an index on ``(key, id)`` answers directly; the total is counted only
up to a cap.
"""

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Model, Q, QuerySet

COUNT_CAP = 10_000


@dataclass(frozen=True)
class Page:
    """One page of objects, cursors for its neighbours and a capped total."""

    objects: list[Model]
    next_cursor: str | None
    previous_cursor: str | None
    count: int
    count_capped: bool


def keyset_page(
    queryset: QuerySet,
    ordering: tuple[str, ...],
    *,
    after: str | None = None,
    before: str | None = None,
    per_page: int = 50,
) -> Page:
    """Return the page of ``queryset`` after (or before) a cursor, in ``ordering`` order.

    ``ordering`` lists model fields, each optionally prefixed by ``-``; ``id`` is appended
    so the order is total. Columns in ``ordering`` must not be NULL.
    """
    keys = (*ordering, "-id" if ordering and ordering[0].startswith("-") else "id")
    backwards = before is not None
    cursor = _decode(before if backwards else after)
    if cursor is not None and len(cursor) != len(keys):
        cursor = None  # a cursor from another sort order: start at the first page
    qs = queryset
    if cursor is not None:
        qs = qs.filter(_seek(keys, cursor, backwards))
    order = [_flip(k) for k in keys] if backwards else list(keys)
    rows = list(qs.order_by(*order)[: per_page + 1])
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    has_next = bool(rows) and (has_more if not backwards else True)
    has_previous = bool(rows) and (cursor is not None if not backwards else has_more)
    count = queryset.order_by()[: COUNT_CAP + 1].count()
    return Page(
        objects=rows,
        next_cursor=_encode(rows[-1], keys) if has_next else None,
        previous_cursor=_encode(rows[0], keys) if has_previous else None,
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
    )


def _flip(key: str) -> str:
    return key[1:] if key.startswith("-") else f"-{key}"


def _seek(keys: tuple[str, ...], values: list[Any], backwards: bool) -> Q:
    """Rows strictly after ``values`` in ``keys`` order (before, when ``backwards``)."""
    condition = Q()
    for i in reversed(range(len(keys))):
        name = keys[i].lstrip("-")
        ascending = not keys[i].startswith("-")
        lookup = "gt" if ascending != backwards else "lt"
        step = Q(**{f"{name}__{lookup}": values[i]})
        if i < len(keys) - 1:
            step |= Q(**{name: values[i]}) & condition
        condition = step
    return condition


def _encode(obj: Model, keys: tuple[str, ...]) -> str:
    values = [_plain(getattr(obj, k.lstrip("-"))) for k in keys]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return {"t": type(value).__name__, "v": value.isoformat()}
    return value


def _decode(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list):
        return None
    return [_typed(v) for v in values]


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and value.get("t") == "datetime":
        return datetime.fromisoformat(value["v"])
    if isinstance(value, dict) and value.get("t") == "date":
        return date.fromisoformat(value["v"])
    return value
