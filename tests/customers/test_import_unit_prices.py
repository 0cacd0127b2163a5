"""Unit prices take up to four decimals; a line's amount is quantity × unit price rounded
half-up to cents, and ``amount`` keeps two decimals."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import ImportRejection, Order, OrderLine

pytestmark = pytest.mark.django_db

HEADER = "customer_id,order_id,placed_at,amount,sku,quantity,unit_price\n"


def _lines(order_id: str) -> list[tuple]:
    return list(
        OrderLine.objects.filter(order__external_id=order_id)
        .order_by("line_number")
        .values_list("quantity", "unit_price", "amount")
    )


def test_sub_cent_unit_prices_of_a_wholesale_order_are_kept(write_csv):
    # 90 lines at 0.001 to 0.0899 a piece, as a wholesaler's export has them.
    rows = [
        f"C1,O1,2025-01-01,{Decimal(i) / 10:.2f},S{i},100,{Decimal(i) / 1000:.4f}"
        for i in range(1, 91)
    ]
    out = StringIO()

    call_command("import_orders", str(write_csv(HEADER + "\n".join(rows) + "\n")), stdout=out)

    assert "90 row(s) read; 0 rejected." in out.getvalue()
    lines = _lines("O1")
    assert lines[0] == (100, Decimal("0.0010"), Decimal("0.10"))
    assert lines[89] == (100, Decimal("0.0900"), Decimal("9.00"))
    assert Order.objects.get().total == sum(Decimal(i) / 10 for i in range(1, 91))


@pytest.mark.parametrize(
    ("quantity", "unit_price", "amount"),
    [
        ("1", "0.125", "0.13"),  # half-up: half-even would make it 0.12
        ("3", "0.3333", "1.00"),  # 0.9999
        ("7", "1.0005", "7.00"),  # 7.0035
        ("2", "0.0025", "0.01"),  # 0.005: half-up
    ],
)
def test_a_line_amount_is_quantity_times_unit_price_rounded_half_up(
    write_csv, quantity, unit_price, amount
):
    text = HEADER + f"C1,O1,2025-01-01,{amount},A,{quantity},{unit_price}\n"

    call_command("import_orders", str(write_csv(text)), stdout=StringIO())

    assert ImportRejection.objects.count() == 0
    assert _lines("O1") == [(int(quantity), Decimal(unit_price), Decimal(amount))]


@pytest.mark.parametrize(
    ("quantity", "unit_price", "amount", "column", "reason"),
    [
        ("1", "0.125", "0.12", "amount",
         "does not equal quantity 1 × unit_price 0.125 = 0.13 (rounded half-up to cents)"),
        ("3", "3.00", "9.01", "amount", "does not equal quantity 3 × unit_price 3.00"),
        ("1", "0.00001", "0.00", "unit_price", "more than 4 decimal places"),
        ("1", "1.00", "1.001", "amount", "more than 2 decimal places"),
    ],
)  # fmt: skip
def test_a_line_that_does_not_add_up_is_rejected_saying_why(
    write_csv, quantity, unit_price, amount, column, reason
):
    text = HEADER + f"C1,O1,2025-01-01,{amount},A,{quantity},{unit_price}\n"

    call_command("import_orders", str(write_csv(text)), stdout=StringIO())

    assert Order.objects.count() == 0
    assert list(ImportRejection.objects.values_list("column", "reason")) == [(column, reason)]


def test_a_missing_unit_price_is_the_amount_over_the_quantity_to_four_places(write_csv):
    text = HEADER + "C1,O1,2025-01-01,10.00,A,3,\nC1,O1,2025-01-01,0.01,B,8,\n"

    call_command("import_orders", str(write_csv(text)), stdout=StringIO())

    assert _lines("O1") == [
        (3, Decimal("3.3333"), Decimal("10.00")),
        (8, Decimal("0.0013"), Decimal("0.01")),  # 0.00125, half-up
    ]


def test_re_importing_four_decimal_lines_finds_them_unchanged(write_csv):
    path = write_csv(HEADER + "C1,O1,2025-01-01,0.13,A,1,0.125\n")
    call_command("import_orders", str(path), stdout=StringIO())
    out = StringIO()

    call_command("import_orders", str(path), stdout=out)

    assert "Orders: 0 new, 0 updated (status or refund), 1 already imported" in out.getvalue()
