"""The feedback app's permissions for the staff roles (clvcrm.core.roles)."""

from django.db import migrations

from clvcrm.core.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0001_surveys"),
        ("campaigns", "0009_direct_trigger"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
