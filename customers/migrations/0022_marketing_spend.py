"""Marketing spend per acquisition channel and month (the CAC's numerator).

Marketing and Admin enter it; Analysts and Support see it (``clvcrm/core/roles.py``).
"""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from clvcrm.core.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0021_order_index_covers_revenue"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MarketingSpend",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "month",
                    models.DateField(help_text="The first day of the month the spend is for."),
                ),
                (
                    "amount",
                    models.DecimalField(
                        decimal_places=2,
                        help_text="Spent on the channel in the month, in the shop currency.",
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                    ),
                ),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "channel",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="customers.acquisitionchannel",
                    ),
                ),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "marketing spend",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("month", "channel"),
                        name="marketingspend_one_per_month_and_channel",
                        violation_error_message="This channel already has spend for this month.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("amount__gte", 0)),
                        name="marketingspend_amount_not_negative",
                        violation_error_message="The amount cannot be negative.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("month__day", 1)),
                        name="marketingspend_month_first_day",
                        violation_error_message="The month must be given by its first day.",
                    ),
                ],
            },
        ),
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
    ]
