"""An import says which format its file was read as (clvcrm's, a Shopify or WooCommerce
export, or a column mapping); column mappings chosen on the upload page are remembered.

The Admin role gains the column mappings' permissions (``clvcrm/core/roles.py``: every
permission of the app).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from clvcrm.core.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0016_pipeline_task_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="orderimport",
            name="file_format",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "clvcrm CSV"),
                    ("shopify", "Shopify orders export"),
                    ("woocommerce", "WooCommerce order export (one row per line item)"),
                    ("mapped", "columns mapped on the upload page"),
                ],
                default="",
                help_text="The shop export the file was recognised as (empty: clvcrm's own format).",
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="ColumnMapping",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("header_key", models.CharField(max_length=64, unique=True)),
                (
                    "header",
                    models.JSONField(default=list, help_text="The header's columns, as written."),
                ),
                (
                    "columns",
                    models.JSONField(
                        default=dict, help_text="clvcrm column → the file's column (as written)."
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
    ]
