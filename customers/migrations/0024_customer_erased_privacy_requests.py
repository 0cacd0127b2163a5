"""Privacy requests: the customer's ``erased_at``, the permissions to export one customer's
data and to erase it (Admin only, through the ``*`` of ``clvcrm/core/roles.py``), and the
trigger that keeps an erased customer's personal columns empty.

The trigger runs only for rows already erased (its ``WHEN`` is checked before any function
is called), so the imports' upserts of everyone else pay nothing for it.
"""

from typing import Any

from django.db import migrations, models

from clvcrm.core.roles import roles_sync

# PostgreSQL: before the row is written, so the unique email index never sees an address.
KEEP_ERASED_POSTGRESQL = """
CREATE FUNCTION customers_customer_keep_erased() RETURNS trigger AS $$
BEGIN
    NEW.email := '';
    NEW.first_name := '';
    NEW.last_name := '';
    NEW.phone := '';
    NEW.birthday := NULL;
    NEW.marketing_consent := FALSE;
    NEW.unsubscribed_at := OLD.unsubscribed_at;
    NEW.erased_at := OLD.erased_at;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER customers_customer_keep_erased BEFORE UPDATE ON customers_customer
    FOR EACH ROW WHEN (OLD.erased_at IS NOT NULL)
    EXECUTE FUNCTION customers_customer_keep_erased();
"""
DROP_KEEP_ERASED_POSTGRESQL = """
DROP TRIGGER customers_customer_keep_erased ON customers_customer;
DROP FUNCTION customers_customer_keep_erased();
"""
# SQLite (the embedded demo) has no BEFORE-row assignment: the row is put back right after.
# Its triggers do not fire recursively, so the trigger's own UPDATE ends there.
KEEP_ERASED_SQLITE = """
CREATE TRIGGER customers_customer_keep_erased AFTER UPDATE ON customers_customer
FOR EACH ROW WHEN OLD.erased_at IS NOT NULL
BEGIN
    UPDATE customers_customer
    SET email = '', first_name = '', last_name = '', phone = '', birthday = NULL,
        marketing_consent = 0, unsubscribed_at = OLD.unsubscribed_at,
        erased_at = OLD.erased_at
    WHERE id = NEW.id;
END
"""
DROP_KEEP_ERASED_SQLITE = "DROP TRIGGER customers_customer_keep_erased"


def keep_erased(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(KEEP_ERASED_POSTGRESQL, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(KEEP_ERASED_SQLITE, params=None)


def not_keep_erased(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(DROP_KEEP_ERASED_POSTGRESQL, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(DROP_KEEP_ERASED_SQLITE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0023_notes_tasks_and_nps_category"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="customer",
            options={
                "permissions": [
                    ("export_customer", "Can export customers"),
                    (
                        "export_customer_data",
                        "Can export all of one customer's data (privacy request)",
                    ),
                    ("erase_customer", "Can erase a customer's personal data (privacy request)"),
                ]
            },
        ),
        migrations.AddField(
            model_name="customer",
            name="erased_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("erased_at__isnull", False)),
                fields=["id"],
                name="customer_erased_idx",
            ),
        ),
        migrations.RunPython(keep_erased, not_keep_erased),
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
    ]
