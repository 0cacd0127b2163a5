"""A model's column by name, typed as a column.

``Model._meta.get_field`` also finds reverse relations (``ForeignObjectRel``), which have no
column, ``max_length`` or ``default``; these helpers are for names that are columns, and
say so when a name is not.
"""

from django.db.models import Field, Model


def model_field(model: type[Model], name: str) -> Field:
    """The field of ``model`` named ``name``; an ``AssertionError`` if it is not a column."""
    field = model._meta.get_field(name)
    assert isinstance(field, Field), f"{model.__name__}.{name} is not a column"
    return field


def max_length(model: type[Model], name: str) -> int:
    """The ``max_length`` of ``model``'s text column ``name``."""
    length = model_field(model, name).max_length
    assert length is not None, f"{model.__name__}.{name} has no max_length"
    return length
