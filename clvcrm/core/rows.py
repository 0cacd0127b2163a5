"""Model instances from rows of hand-written SQL, as the ORM would have made them."""

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


def instance_from_row(model: type[M], fields: Sequence[Field], values: Sequence[Any]) -> M:
    """``model``'s instance of ``values`` (those of ``fields``, in order; any other field
    is deferred), each converted as the ORM converts it (SQLite returns moments and
    decimals as text)."""
    converted = []
    for field, value in zip(fields, values, strict=True):
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)
