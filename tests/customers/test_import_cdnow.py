"""The CDNOW master file through the real command: every customer, every row, once."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from customers.models import Customer, Order, OrderImport
from tests.datasets import cdnow_to_orders_csv, data_file

# Committed transactions, as the command has them in production (on PostgreSQL this is
# also the path where a second thread writes while the next batches are read).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cdnow") / "cdnow_master.csv"
    assert cdnow_to_orders_csv(data_file("CDNOW_master.txt"), path) == 69_659
    return path


def test_cdnow_master_imports_every_customer_and_row_once(cdnow_csv: Path) -> None:
    out = StringIO()
    call_command("import_orders", str(cdnow_csv), stdout=out)

    assert Customer.objects.count() == 23_570
    assert Order.objects.count() == 69_659
    # The file's dollar column, summed to the cent (in Python: SQLite sums in floating point).
    assert sum(Order.objects.values_list("total", flat=True)) == Decimal("2500315.63")
    first = Customer.objects.get(external_id="00001")
    assert str(first.acquired_on) == "1997-01-01"
    assert "69,659 row(s) read; 0 rejected." in out.getvalue()

    again = StringIO()
    call_command("import_orders", str(cdnow_csv), stdout=again)

    assert Customer.objects.count() == 23_570
    assert Order.objects.count() == 69_659
    assert (
        "Orders: 0 new, 0 updated (status or refund), 69,659 already imported" in again.getvalue()
    )
    assert "Customers: 0 new, 0 updated." in again.getvalue()
    assert "Nothing new" in again.getvalue()
    runs = list(OrderImport.objects.order_by("id").values_list("orders_created", "status"))
    assert runs == [(69_659, "succeeded"), (0, "succeeded")]
