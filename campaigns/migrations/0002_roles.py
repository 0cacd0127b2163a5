"""The campaigns app's permissions for the staff roles (clvcrm.core.roles)."""

from django.db import migrations

from clvcrm.core.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("customers", "0020_customer_language"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
