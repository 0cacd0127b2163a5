"""Keyset ("seek") pagination for staff lists that must stay fast at a million rows.

OFFSET pagination reads and discards every earlier row, and its page count needs a full
COUNT(*). Here a page is ``ORDER BY key, id LIMIT n`` starting after the last row of the
previous page, which an index on ``(key, id)`` answers directly; the total is counted only
up to a cap.
"""

import base64
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import Field, Model, Q, QuerySet
from django.http import HttpRequest

from clvcrm.core.input_values import (
    INTEGER_KINDS,
    date_from_text,
    integer_range_of,
    integer_within,
    moment_from_text,
    text_within,
)
from clvcrm.core.model_fields import model_field

COUNT_CAP = 10_000
# A cursor holds a few sort keys (two names of at most 150 characters, escaped, at most);
# anything longer was not made here and is not worth decoding.
MAX_CURSOR_LENGTH = 4_096


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

    ``ordering`` lists model fields or annotations, each optionally prefixed by ``-``; ``id``
    is appended so the order is total. Columns in ``ordering`` must not be NULL. A cursor
    that is not one this ordering made (from another sort, tampered with, truncated) is
    ignored: the page is the first one.
    """
    keys = (*ordering, "-id" if ordering and ordering[0].startswith("-") else "id")
    columns = [_column(queryset, key) for key in keys]
    cursor = _decode(before, columns)
    backwards = cursor is not None
    if cursor is None:
        cursor = _decode(after, columns)
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


def _column(queryset: QuerySet, key: str) -> Field:
    """The model field, or the annotation's output field, that ``key`` sorts by."""
    name = key.lstrip("-")
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        return annotation.output_field
    return model_field(queryset.model, name)


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


def _decode(cursor: str | None, columns: list[Field]) -> list[Any] | None:
    """The key values in ``cursor`` if it is exactly what :func:`_encode` makes for
    ``columns``, each a value its column holds; ``None`` for anything else.

    Cursors are not signed: one only says where a page starts in a list the user may read
    anyway, so a forged cursor that passes these checks is just another valid position.
    """
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        return None
    try:
        text = base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True)
        values = json.loads(text)
        if not isinstance(values, list) or len(values) != len(columns):
            return None
        return [_typed(value, column) for value, column in zip(values, columns, strict=True)]
    except (ValueError, RecursionError):  # InputValueError is a ValueError
        return None


def _typed(value: Any, column: Field) -> Any:
    """``value`` from a cursor as its column's Python type; ``ValueError`` if it cannot be."""
    kind = column.get_internal_type()
    if kind == "DateTimeField":
        text = _tagged(value, "datetime")
        moment = moment_from_text(text, UTC)
        if datetime.fromisoformat(text).tzinfo is None:  # _encode writes aware moments
            raise ValueError("a moment without its offset")
        return moment
    if kind == "DateField":
        return date_from_text(_tagged(value, "date"))
    if kind in INTEGER_KINDS and type(value) is int:
        low, high = integer_range_of(column)
        return integer_within(value, minimum=low, maximum=high)
    if kind == "FloatField" and type(value) is float and math.isfinite(value):
        return value
    if kind in ("CharField", "TextField") and type(value) is str:
        return text_within(value, max_length=column.max_length)
    if kind == "BooleanField" and type(value) is bool:
        return value
    raise ValueError(f"not a value of a {kind}")


def _tagged(value: Any, tag: str) -> str:
    """The text of a ``{"t": tag, "v": text}`` value, as :func:`_plain` writes it."""
    if not (isinstance(value, dict) and value.keys() == {"t", "v"} and value["t"] == tag):
        raise ValueError(f"not a tagged {tag}")
    if type(value["v"]) is not str:
        raise ValueError(f"a tagged {tag} without its text")
    return value["v"]


def parameters_besides_cursor(request: HttpRequest) -> str:
    """The list's query string without its cursor: what the pager's links carry over (the
    ``query`` of ``templates/partials/pager.html``)."""
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    return query.urlencode()
