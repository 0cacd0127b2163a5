"""Staff role groups, and trigram indexes for the customer search on PostgreSQL."""

from django.db import migrations

from clvcrm.core.roles import roles_sync

# Django's icontains compiles to UPPER(col::text) LIKE UPPER(%s); these GIN trigram indexes
# on the same expressions let PostgreSQL answer it without reading a million rows.
TRIGRAM_INDEXES = {
    "customer_first_name_trgm": "first_name",
    "customer_last_name_trgm": "last_name",
    "customer_email_trgm": "email",
}


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
        migrations.RunPython(create_search_indexes, drop_search_indexes),
    ]
