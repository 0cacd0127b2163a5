"""The README's example file imports exactly as documented."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from customers.models import Customer, Order

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "orders.csv"


@pytest.mark.django_db
def test_readme_example_imports() -> None:
    readme = (EXAMPLE.parents[2] / "README.md").read_text()
    assert EXAMPLE.read_text() in readme.replace("```csv\n", "")

    call_command("import_orders", str(EXAMPLE), stdout=StringIO())

    assert sorted(Order.objects.values_list("external_id", "total")) == [
        ("O-1001", Decimal("29.90")),
        ("O-1002", Decimal("9.90")),
    ]
    assert Order.objects.get(external_id="O-1002").lines.count() == 0
    channel = Customer.objects.get(external_id="C-2").acquisition_channel
    assert channel is not None
    assert channel.name == "Paid search"
