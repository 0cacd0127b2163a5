"""A customer's details follow their latest order's row: in a file, across batches, across
files, and each customer counts as one update at most per import."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from tests.query_counts import per_backend

pytestmark = pytest.mark.django_db

HEADER = "customer_id,order_id,placed_at,amount,email,first_name,country,channel\n"
# C1's rows disagree on the country and the first name, scattered over the batches of two
# rows each; the latest order (O5, placed 2025-01-09) says GB and Ada. C2 agrees with itself.
MOVING = HEADER + (
    "C1,O1,2025-01-01,1.00,ada@example.com,Adda,DE,Referral\n"
    "C2,O2,2025-01-02,1.00,bo@example.com,Bo,SE,\n"
    "C1,O3,2025-01-03,1.00,,,FR,\n"
    "C2,O4,2025-01-04,1.00,bo@example.com,Bo,SE,\n"
    "C1,O5,2025-01-09,1.00,,Ada,GB,Social\n"
    "C1,O6,2025-01-05,1.00,,Ida,FR,\n"
    "C1,O7,2025-01-06,1.00,ada@example.com,,DE,\n"
)


def _import(write_csv, text: str, name: str = "orders.csv", batch_rows: int = 2) -> str:
    out = StringIO()
    call_command(
        "import_orders", str(write_csv(text, name)), "--batch-rows", str(batch_rows), stdout=out
    )
    return out.getvalue()


def _details(external_id: str = "C1") -> tuple:
    customer = Customer.objects.select_related("acquisition_channel").get(external_id=external_id)
    channel = customer.acquisition_channel.name if customer.acquisition_channel else ""
    country = customer.country.code  # type: ignore[attr-defined]  # django-countries gives a Country; its field is typed as a CharField's str
    return (customer.email, customer.first_name, country, channel)


@pytest.mark.parametrize("batch_rows", [2, 3, 100])
def test_the_latest_orders_row_wins_however_the_file_is_batched(write_csv, batch_rows):
    out = _import(write_csv, MOVING, batch_rows=batch_rows)

    assert _details() == ("ada@example.com", "Ada", "GB", "Social")
    assert _details("C2") == ("bo@example.com", "Bo", "SE", "")
    # A customer created by this import is new, however many batches rewrote it.
    assert "Customers: 2 new, 0 updated." in out

    again = _import(write_csv, MOVING, "again.csv", batch_rows=batch_rows)

    assert "Customers: 0 new, 0 updated." in again
    assert _details() == ("ada@example.com", "Ada", "GB", "Social")


def test_a_later_file_with_older_orders_only_fills_empty_details(write_csv):
    _import(write_csv, MOVING)
    # Older than each customer's latest order, not than their first (that would be news).
    older = HEADER + (
        "C1,P1,2025-01-02,1.00,old@example.com,Old,PL,Print\nC2,P2,2025-01-03,1.00,,,,Print\n"
    )

    out = _import(write_csv, older, "older.csv")

    assert _details() == ("ada@example.com", "Ada", "GB", "Social")
    # C2 had no channel: an older order fills it, and that is one update.
    assert _details("C2") == ("bo@example.com", "Bo", "SE", "Print")
    assert "Customers: 0 new, 1 updated." in out


def test_a_later_file_with_a_newer_order_changes_the_details_once(write_csv):
    _import(write_csv, MOVING)
    newer = HEADER + (
        "C1,N1,2025-02-01,1.00,,,IE,\n"
        "C1,N2,2025-02-02,1.00,,Adelaide,,\n"
        "C1,N3,2025-02-03,1.00,,,,\n"
    )

    out = _import(write_csv, newer, "newer.csv", batch_rows=1)

    assert _details() == ("ada@example.com", "Adelaide", "IE", "Social")
    assert "Customers: 0 new, 1 updated." in out


def test_a_re_export_of_the_latest_order_with_new_details_changes_them(write_csv):
    _import(write_csv, MOVING)
    corrected = HEADER + "C1,O5,2025-01-09,1.00,ada.l@example.com,Ada,GB,Social\n"

    out = _import(write_csv, corrected, "corrected.csv")

    assert _details() == ("ada.l@example.com", "Ada", "GB", "Social")
    assert "Customers: 0 new, 1 updated." in out


def test_details_follow_the_latest_row_in_a_file_in_any_order(write_csv):
    # Newest first, as some shops export: the first row is the latest order.
    newest_first = HEADER + (
        "C1,O3,2025-01-03,1.00,,Ada,GB,\n"
        "C1,O2,2025-01-02,1.00,,Ida,FR,\n"
        "C1,O1,2025-01-01,1.00,ada@example.com,Adda,DE,Referral\n"
    )

    out = _import(write_csv, newest_first, batch_rows=1)

    assert _details() == ("ada@example.com", "Ada", "GB", "Referral")
    assert "Customers: 1 new, 0 updated." in out
    assert "Customers: 0 new, 0 updated." in _import(write_csv, newest_first, "b.csv", 1)


def test_orders_placed_at_the_same_moment_follow_the_file_order(write_csv):
    same_day = HEADER + "C1,O1,2025-01-01,1.00,,,DE,\nC1,O2,2025-01-01,1.00,,,FR,\n"

    _import(write_csv, same_day, batch_rows=100)

    assert _details()[2] == "FR"


def test_the_latest_stored_orders_are_read_once_and_only_for_changing_details(write_csv):
    _import(write_csv, MOVING, batch_rows=100)
    # Two files of one shape, orders older than the customers' latest: the first agrees
    # with the stored details, the second would change both names (and changes nothing).
    same = HEADER + "C1,Q1,2025-01-05,1.00,,Ada,GB,\nC2,Q2,2025-01-03,1.00,,Bo,SE,\n"
    changing = HEADER + "C1,R1,2025-01-05,1.00,,Al,GB,\nC2,R2,2025-01-03,1.00,,Bob,SE,\n"

    with CaptureQueriesContext(connection) as agreeing:
        _import(write_csv, same, "same.csv", batch_rows=100)
    with CaptureQueriesContext(connection) as contested:
        out = _import(write_csv, changing, "changing.csv", batch_rows=100)

    # SQLite: one query for both customers' latest orders; PostgreSQL: inside the upsert.
    assert len(contested) - len(agreeing) == (0 if connection.vendor == "postgresql" else 1)
    # The whole import of a batch (see test_batches_cost_a_fixed_number_of_queries).
    assert len(agreeing) == per_backend(sqlite=12, postgresql=21)
    assert len(contested) == per_backend(sqlite=13, postgresql=21)
    assert (_details()[1], _details("C2")[1]) == ("Ada", "Bo")
    assert "Customers: 0 new, 0 updated." in out
