"""``field__any=values``: membership in a collection, as one array parameter on PostgreSQL.

Pass a ``frozenset`` (or any iterable that is not a list or tuple): Django resolves lists
and tuples element by element before the lookup sees them, which costs as much as the
query for large batches.

``__in`` sends one placeholder per value; with 10,000 values psycopg spends more time
splitting the query than PostgreSQL spends answering it. ``= ANY(%s)`` sends one array.
Other databases get an ordinary ``IN`` list.
"""

from typing import Any

from django.db.models import Field, Lookup


@Field.register_lookup
class AnyLookup(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        if connection.vendor == "postgresql":
            # psycopg adapts str and int lists itself; per-value preparation costs more.
            return "%s", [list(value)]
        values = [self.lhs.output_field.get_db_prep_value(v, connection) for v in value]
        return ", ".join(["%s"] * len(values)), values

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if not rhs_params or rhs_params == [[]]:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]
        return f"{lhs} IN ({rhs})", [*lhs_params, *rhs_params]
