"""Checking a JSON body's shape against the serializer that documents it, quickly.

DRF's serializers validate and convert every value, at a cost of tens of microseconds a
field: for a thousand orders in one request that is most of the request's time, spent on
checks the order import makes again in its own words. Where the values are the import's
to judge, the API checks only the shape, with a :class:`Shape` read from the same
serializer that documents the body in the OpenAPI schema, so the two cannot drift: an
object where an object belongs, the required fields there, a scalar (:class:`CellField`)
where a cell belongs, a list of objects no longer than the serializer allows.
"""

from dataclasses import dataclass
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

REQUIRED = "This field is required."


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"}], "nullable": True})
class CellField(serializers.Field):
    """A value the order import reads as a cell's text: a string or a number (or ``null``,
    an empty cell). The import checks it, in its own words; this only says it is one."""

    def to_internal_value(self, data: Any) -> str:
        if not cell_ok(data):
            raise serializers.ValidationError(CELL_EXPECTED)
        text = "" if data is None else str(data)
        if "\x00" in text:  # a CSV file never has one (it is refused whole); JSON may
            raise serializers.ValidationError(NUL_REFUSED)
        return text

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field({"oneOf": [{"type": "boolean"}, {"type": "string"}], "nullable": True})
class FlagCellField(CellField):
    """A yes/no cell: ``true``/``false``, or the import's words for them (``"yes"``)."""


CELL_EXPECTED = "Expected a string, a number or null."
NUL_REFUSED = "Contains a NUL character, which no text column can hold."


def cell_ok(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float)


@dataclass(frozen=True)
class Problem:
    """What is wrong where: the dotted path of the field, a code and a message."""

    field: str
    code: str
    message: str


@dataclass(frozen=True)
class Shape:
    """The fields of an object: name → (required, what its value must be)."""

    fields: dict[str, tuple[bool, "Shape | ListOf | None"]]

    @classmethod
    def of(cls, serializer: type[serializers.Serializer]) -> "Shape":
        """The shape ``serializer``'s fields declare (a cell, an object, a list of objects)."""
        fields: dict[str, tuple[bool, Shape | ListOf | None]] = {}
        for name, declared in serializer().fields.items():
            if declared.read_only:
                continue
            fields[name] = (declared.required, _kind(declared))
        return cls(fields)

    def problems(self, value: Any, path: str = "") -> list[Problem]:
        """Everything wrong with the shape of ``value``, with each field's dotted path."""
        if not isinstance(value, dict):
            return [Problem(path, "invalid", "Expected an object.")]
        found = []
        for name, (required, kind) in self.fields.items():
            where = f"{path}.{name}" if path else name
            if name not in value:
                if required:
                    found.append(Problem(where, "required", REQUIRED))
                continue
            found += _value_problems(value[name], kind, where)
        return found


@dataclass(frozen=True)
class ListOf:
    """A list of objects of one shape, at most ``max_length`` of them (or ``null``, if
    ``allow_null``)."""

    shape: Shape
    max_length: int | None
    allow_null: bool


def _kind(declared: serializers.Field) -> "Shape | ListOf | None":
    if isinstance(declared, CellField):
        return None
    if isinstance(declared, serializers.ListSerializer):
        child = declared.child
        assert isinstance(child, serializers.Serializer)
        # DRF sets max_length on the instance; its type stubs do not declare it.
        max_length = getattr(declared, "max_length", None)
        return ListOf(Shape.of(type(child)), max_length, declared.allow_null)
    if isinstance(declared, serializers.Serializer):
        return Shape.of(type(declared))
    raise TypeError(f"{declared!r}: a shape has cells, objects and lists of objects only")


def _value_problems(value: Any, kind: "Shape | ListOf | None", where: str) -> list[Problem]:
    if kind is None:
        if not cell_ok(value):
            return [Problem(where, "invalid", CELL_EXPECTED)]
        return [Problem(where, "invalid", NUL_REFUSED)] if "\x00" in str(value) else []
    if isinstance(kind, Shape):
        return kind.problems(value, where)
    if value is None and kind.allow_null:
        return []
    if not isinstance(value, list):
        return [Problem(where, "not_a_list", "Expected a list of objects.")]
    if kind.max_length is not None and len(value) > kind.max_length:
        message = f"Ensure this field has no more than {kind.max_length} elements."
        return [Problem(where, "max_length", message)]
    found = []
    for position, item in enumerate(value):
        found += kind.shape.problems(item, f"{where}.{position}")
    return found
