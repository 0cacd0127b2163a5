"""``field__any=values``: membership in a collection, as one parameter on PostgreSQL.

``__in`` sends one placeholder per value; with 10,000 values the database driver spends
more time quoting them than PostgreSQL spends answering. On PostgreSQL the values travel
as one string split by the server (``string_to_array``); identifiers never contain the
unit-separator control character used to join them (the import rejects control characters).
Other databases get an ordinary ``IN`` list.

Pass a ``frozenset`` (or any iterable that is not a list or tuple): Django resolves lists
and tuples element by element before the lookup sees them.
"""

from typing import Any

from django.db.models import Field, Lookup

SEPARATOR = "\x1f"
INTEGER_TYPES = (
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "ForeignKey",
)


@Field.register_lookup
class AnyLookup(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:  # type: ignore[override]  # Django 5.2 passes parameters as lists; django-stubs types them as tuples
        if connection.vendor == "postgresql":
            return "%s", [SEPARATOR.join(map(str, value))]
        values = [self.lhs.output_field.get_db_prep_value(v, connection) for v in value]
        return ", ".join(["%s"] * len(values)), values

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:  # type: ignore[override]  # lists, as above
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if rhs_params in ([], [""]):
            return "1 = 0", []
        if connection.vendor == "postgresql":
            element = "bigint" if self._is_integer() else "text"
            array = f"string_to_array({rhs}, chr(31))::{element}[]"
            return f"{lhs} = ANY({array})", [*lhs_params, *rhs_params]
        return f"{lhs} IN ({rhs})", [*lhs_params, *rhs_params]

    def _is_integer(self) -> bool:
        return self.lhs.output_field.get_internal_type() in INTEGER_TYPES
