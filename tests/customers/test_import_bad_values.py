"""One bad value never stops an import: it rejects its row (or its order), naming why.

Each value here once aborted a whole import (issue 9, finding 3): an overflow, a digit
Python reads and PostgreSQL's COPY does not, a header the CSV reader refuses. These run on
SQLite and, in CI, on PostgreSQL, where one-row orders go through COPY and the set-based
merge.
"""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from customers.models import Customer, ImportRejection, Order, OrderImport
from customers.order_import import rows

pytestmark = pytest.mark.django_db

HEADER = "customer_id,order_id,placed_at,amount\n"
LINES = "customer_id,order_id,placed_at,amount,sku,quantity,unit_price\n"
OUTSIDE_DATES = "outside the supported dates (1900-01-01 to 2999-12-31)"
NOT_A_NUMBER = "not a number (use a dot as decimal separator, no currency sign)"


def _rejections() -> list[tuple]:
    return list(
        ImportRejection.objects.order_by("row", "id").values_list(
            "row", "order_id", "column", "value", "reason"
        )
    )


def _import(path, *args: str) -> str:
    out = StringIO()
    call_command("import_orders", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.parametrize(
    ("header", "bad_row", "column", "value", "reason"),
    [
        (HEADER, "C2,O2,0001-01-01T00:00:00+05:00,1.00", "placed_at", "0001-01-01T00:00:00+05:00",
         OUTSIDE_DATES),
        (HEADER, "C2,O2,9999-12-31T23:59:59-05:00,1.00", "placed_at", "9999-12-31T23:59:59-05:00",
         OUTSIDE_DATES),
        (HEADER, "C2,O2,2025-01-02,١٢٣", "amount", "١٢٣", NOT_A_NUMBER),
        (HEADER, "C2,O2,2025-01-02,1e999999", "amount", "1e999999", "larger than 9999999999.99"),
        (HEADER, "C2,O2,٢٠٢٥-01-02,1.00", "placed_at", "٢٠٢٥-01-02",
         "not a date or date-time (use YYYY-MM-DD or ISO 8601)"),
        (LINES, "C2,O2,2025-01-02,1.00,SKU-1,²,1.00", "quantity", "²", "not a whole number"),
        (LINES, "C2,O2,2025-01-02,1.00,SKU-1,3000000000,1.00", "quantity", "3000000000",
         "must be at most 2147483647"),
    ],
)  # fmt: skip
def test_a_bad_value_rejects_its_row_and_the_good_rows_go_in(
    write_csv, header, bad_row, column, value, reason
):
    good = "C1,O1,2025-01-01,1.00" + (",SKU-1,1,1.00" if header == LINES else "")
    later = "C3,O3,2025-01-03,3.00" + (",SKU-1,3,1.00" if header == LINES else "")

    out = _import(write_csv(header + f"{good}\n{bad_row}\n{later}\n"))

    assert sorted(Order.objects.values_list("external_id", "total")) == [
        ("O1", Decimal("1.00")),
        ("O3", Decimal("3.00")),
    ]
    assert _rejections() == [(3, "O2", column, value, reason)]
    assert "3 row(s) read; 1 rejected." in out
    assert not Customer.objects.filter(external_id="C2").exists()


def test_a_plain_date_of_year_one_east_of_utc_is_rejected_not_overflowed(write_csv, settings):
    # Midnight of 0001-01-01 in Tokyo is before the first instant datetime can hold in UTC.
    settings.TIME_ZONE = "Asia/Tokyo"
    text = HEADER + "C1,O1,2025-01-01,1.00\nC2,O2,0001-01-01,1.00\nC2,O3,1899-12-31 23:00,1\n"

    _import(write_csv(text))

    assert list(Order.objects.values_list("external_id", flat=True)) == ["O1"]
    assert _rejections() == [
        (3, "O2", "placed_at", "0001-01-01", OUTSIDE_DATES),
        (4, "O3", "placed_at", "1899-12-31 23:00", OUTSIDE_DATES),
    ]


def test_a_header_over_a_mebibyte_is_refused_with_a_reason(write_csv):
    path = write_csv(HEADER.rstrip("\n") + "," + "x" * (1 << 20) + "\nC1,O1,2025-01-01,1.00,\n")

    with pytest.raises(CommandError) as refused:
        _import(path)

    assert str(refused.value) == (
        f"{path}: the first line (the header) is longer than 1 MiB: expected a header line "
        "with column names"
    )
    assert Order.objects.count() == 0
    assert OrderImport.objects.get().error == str(refused.value).split(": ", 1)[1]


def test_a_header_with_an_open_quote_is_refused(write_csv):
    path = write_csv('customer_id,order_id,placed_at,amount,"note\nC1,O1,2025-01-01,1,x"\n')

    with pytest.raises(CommandError) as refused:
        _import(path)

    assert str(refused.value).endswith(
        'the first line (the header) has a quote (") that is never closed: expected a header '
        "line with column names"
    )


def test_a_cell_over_a_mebibyte_rejects_its_row_alone(write_csv):
    text = HEADER + f'C1,O1,2025-01-01,1.00\nC2,O2,2025-01-01,"{"9" * ((1 << 20) + 1)}"\n'
    text += "C3,O3,2025-01-01,3.00\n"

    out = _import(write_csv(text))

    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["O1", "O3"]
    assert _rejections() == [
        (3, "", "", "", "cannot be read as CSV: a cell is longer than 1,048,576 characters")
    ]
    assert "3 row(s) read; 1 rejected." in out


def test_an_email_longer_than_its_column_is_rejected(write_csv):
    # Django's validator takes addresses up to 320 characters; the column holds 254.
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".de"
    text = "customer_id,order_id,placed_at,amount,email\n"
    text += f"C1,O1,2025-01-01,1.00,{email}\nC2,O2,2025-01-01,2.00,bo@example.com\n"

    _import(write_csv(text))

    assert list(Order.objects.values_list("external_id", flat=True)) == ["O2"]
    assert _rejections() == [(2, "O1", "email", email[:200], "longer than 254 characters")]


def test_order_lines_adding_up_to_more_than_an_order_holds_reject_the_order(write_csv):
    text = LINES + (
        "C1,O1,2025-01-01,9999999999.99,A,1,9999999999.99\n"
        "C1,O1,2025-01-01,0.01,B,1,0.01\n"
        "C1,O2,2025-01-02,5.00,A,1,5.00\n"
    )

    _import(write_csv(text))

    assert list(Order.objects.values_list("external_id", flat=True)) == ["O2"]
    reason = (
        "the lines add up to 10000000000.00, more than an order holds (9999999999.99); "
        "an order is imported whole or not at all"
    )
    assert _rejections() == [
        (2, "O1", "amount", "9999999999.99", reason),
        (3, "O1", "amount", "0.01", reason),
    ]


def test_an_unforeseen_error_in_one_cell_rejects_that_row_naming_the_column(write_csv, monkeypatch):
    def broken(value, column, reject):
        if value == "XX":
            raise RuntimeError("no such country table")
        return value

    monkeypatch.setattr(rows, "_country", broken)
    text = "customer_id,order_id,placed_at,amount,country\n"
    text += "C1,O1,2025-01-01,1.00,XX\nC2,O2,2025-01-01,2.00,DE\n"

    _import(write_csv(text))

    assert list(Order.objects.values_list("external_id", flat=True)) == ["O2"]
    assert _rejections() == [
        (2, "O1", "country", "XX", "could not be read (RuntimeError: no such country table)")
    ]


def test_an_upload_with_a_year_one_row_succeeds_and_reports_the_row(
    admin_client, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile(
        "orders.csv", (HEADER + "C1,O1,0001-01-01T00:00:00+05:00,1\nC1,O2,2025-01-01,2\n").encode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/customers/imports/", {"file": upload})
    page = admin_client.get(response["Location"])

    order_import = OrderImport.objects.get()
    assert (order_import.status, order_import.rows_rejected, order_import.orders_created) == (
        "succeeded",
        1,
        1,
    )
    assert page.status_code == 200
    assert OUTSIDE_DATES in page.content.decode()


def test_a_failed_upload_shows_its_reason_on_the_upload_page(
    admin_client, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("orders.csv", (HEADER + "C1,O1,2025-01-01,1\n").encode("utf-16"))

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/customers/imports/", {"file": upload})
    page = admin_client.get("/customers/imports/").content.decode()

    error = "this is UTF-16 text; save it as UTF-8 (in Excel: Save as, CSV UTF-8), then import it"
    assert OrderImport.objects.get().error.startswith(error)
    assert error in page


def _refuse_order(order_id_pattern: str, message: str) -> None:
    """A real refusal by the database: a trigger, as a constraint added by hand would be."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                CREATE FUNCTION test_refuse_order() RETURNS trigger AS $$
                BEGIN
                    IF NEW.external_id LIKE '{order_id_pattern}' THEN
                        RAISE EXCEPTION '{message}' USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql;
                CREATE TRIGGER test_refuse_order BEFORE INSERT ON customers_order
                FOR EACH ROW EXECUTE FUNCTION test_refuse_order();
                """
            )
        else:
            cursor.execute(
                f"""
                CREATE TRIGGER test_refuse_order BEFORE INSERT ON customers_order
                WHEN NEW.external_id LIKE '{order_id_pattern}'
                BEGIN SELECT RAISE(ABORT, '{message}'); END
                """
            )


def test_an_order_the_database_refuses_is_rejected_alone(write_csv):
    _refuse_order("O-666", "order O-666 is refused")
    rows_ = [f"C{i % 4},O-{i},2025-01-{1 + i % 28:02d},{i}.00" for i in range(600, 700)]
    path = write_csv(HEADER + "\n".join(rows_) + "\n")

    out = _import(path, "--batch-rows", "30")

    assert Order.objects.count() == 99
    assert not Order.objects.filter(external_id="O-666").exists()
    assert _rejections() == [
        (68, "O-666", "", "", "the database refused this order: order O-666 is refused")
    ]
    assert "100 row(s) read; 1 rejected." in out
    assert "Orders: 99 new" in out


def test_a_database_that_refuses_most_orders_fails_the_import_naming_a_row(write_csv):
    _refuse_order("R%", "no orders starting with R")
    rows_ = [f"C1,R{i:03d},2025-01-01,1.00" for i in range(150)]

    with pytest.raises(CommandError) as failed:
        _import(write_csv(HEADER + "\n".join(rows_) + "\n"))

    assert str(failed.value).endswith(
        "the database refused more than 100 orders of one batch, the last at row 102: "
        "the database refused this order: no orders starting with R"
    )
    assert Order.objects.count() == 0


def test_an_amount_of_a_million_digits_is_rejected_as_too_large(write_csv):
    _import(write_csv(HEADER + f"C1,O1,2025-01-01,{'9' * (1 << 20)}\nC2,O2,2025-01-01,2\n"))

    assert list(Order.objects.values_list("external_id", flat=True)) == ["O2"]
    assert _rejections() == [(2, "O1", "amount", "9" * 200, "larger than 9999999999.99")]
