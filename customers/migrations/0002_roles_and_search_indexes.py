"""Staff role groups, and PostgreSQL-only indexes for search and date ranges."""

from django.db import migrations

from clvcrm.core.roles import roles_sync

# The customer search matches the start of a name or email, case-insensitively: Django's
# istartswith compiles to UPPER(col::text) LIKE UPPER('ada%'), which these B-trees answer
# without reading a million rows. They cost far less on every insert than trigram indexes.
POSTGRES_INDEXES = {
    "customer_first_name_prefix": (
        "customers_customer",
        "btree (UPPER(first_name::text) text_pattern_ops)",
    ),
    "customer_last_name_prefix": (
        "customers_customer",
        "btree (UPPER(last_name::text) text_pattern_ops)",
    ),
    "customer_email_prefix": ("customers_customer", "btree (UPPER(email::text) text_pattern_ops)"),
    # Orders arrive roughly in date order: a BRIN index serves date ranges for almost nothing.
    "order_placed_brin": ("customers_order", "brin (placed_at)"),
}

# Django adds a varchar_pattern_ops ("..._like") index to every unique CharField on
# PostgreSQL, for LIKE queries. Nothing searches ids by pattern, and on the ten-million-row
# orders table each extra index slows every import.
UNUSED_LIKE_INDEXES = """
    SELECT indexname FROM pg_indexes
    WHERE tablename IN ('customers_customer', 'customers_order')
      AND indexname LIKE '%external_id%like'
"""


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, definition) in POSTGRES_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING {definition}")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(UNUSED_LIKE_INDEXES)
        unused = [name for (name,) in cursor.fetchall()]
    for name in unused:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in POSTGRES_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
