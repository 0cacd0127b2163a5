"""The nightly deletion of stored upload files; Admins see and lift login locks.

The Admin role gains the login throttle's records (``clvcrm/core/roles.py``): deleting an
access attempt in the admin lifts the lock it holds.
"""

from django.db import migrations

from clvcrm.core.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0011_order_refunded_amount"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
    ]
