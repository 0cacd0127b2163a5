"""Cursor pagination for every API list: a cursor it did not make is a 400, never a 500.

DRF's own ``CursorPagination`` answers an undecodable cursor with 404 and passes the
position inside a decodable one straight into ``WHERE <ordering field> > position``: a
position such as ``1e999`` then fails in the query (500), and one beyond the column's range
is compared as if it meant something. Here the position is read as a value of the ordering
field's column first.
"""

import base64
from typing import Any, cast

from django.db.models import Field, Model, QuerySet
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from clvcrm.core.input_values import (
    INT64_MAX,
    INTEGER_KINDS,
    InputValueError,
    date_from_text,
    integer_from_text,
    integer_range_of,
    moment_from_text,
    text_within,
)
from clvcrm.core.model_fields import model_field

NOT_MADE_HERE = "not a cursor of this list"


class CheckedCursorPagination(CursorPagination):
    """DRF's cursor pagination that checks a cursor's position against the ordering field."""

    model: type[Model]
    page_size_query_param = "page_size"
    max_page_size = 500  # a larger ``page_size`` is capped to this
    page_size_query_description = "Results per page, at most 500."

    def get_page_size(self, request: Request) -> int:
        """``?page_size`` if given (at most ``max_page_size``), else the list's own size.

        DRF falls back to the default size on a value it cannot read; here that is a 400.
        """
        text = request.query_params.get(self.page_size_query_param, "")
        if text == "":
            assert self.page_size is not None  # PAGE_SIZE is set
            return self.page_size
        try:
            size = integer_from_text(text, minimum=1)
        except InputValueError as exc:
            raise ValidationError({self.page_size_query_param: [str(exc)]}) from None
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """DRF's parameters, with the page sizes :meth:`get_page_size` reads (one above
        ``max_page_size`` is capped to it, not refused; past 64 bits, no number is read)."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                bounds = {"minimum": 1, "maximum": INT64_MAX}
                parameter["schema"] = {**parameter["schema"], **bounds}
        return parameters

    def paginate_queryset(  # type: ignore[override]  # pages querysets only: reads .model
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any] | None:
        self.model = queryset.model  # decode_cursor reads the ordering field's type from it
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            if encoded is not None:  # DRF's decoding skips characters outside base64
                base64.b64decode(encoded.encode("ascii"), validate=True)
            cursor = super().decode_cursor(request)
        except (ValueError, NotFound):  # binascii.Error and UnicodeError are ValueErrors
            raise _invalid(NOT_MADE_HERE) from None
        if cursor is None or cursor.position is None:
            return cursor
        name = self.ordering[0].lstrip("-")
        try:
            # DRF decodes the position as the text it was sent; its stubs say int.
            text = cast(str, cursor.position)
            position = _position(text, model_field(self.model, name))
        except InputValueError as exc:
            raise _invalid(f"position: {exc}") from None
        return cursor._replace(position=position)


def _position(text: str, field: Field) -> Any:
    """A cursor's position as a value of ``field``'s column, or :class:`InputValueError`."""
    kind = field.get_internal_type()
    if kind in INTEGER_KINDS:
        low, high = integer_range_of(field)
        return integer_from_text(text, minimum=low, maximum=high)
    if kind == "DateTimeField":
        return moment_from_text(text, timezone.get_current_timezone())
    if kind == "DateField":
        return date_from_text(text)
    if kind in ("CharField", "TextField"):
        return text_within(text, max_length=field.max_length)
    raise InputValueError(f"cannot order this list by a {kind}")


def _invalid(reason: str) -> ValidationError:
    return ValidationError(
        {"cursor": [f"Invalid cursor ({reason}); start again from the first page, without it."]}
    )
