"""The operations page's permissions for the Admin role (clvcrm.core.roles)."""

from django.db import migrations

from clvcrm.core.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_task_failures"),
        ("feedback", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
