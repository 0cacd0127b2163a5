"""Files the import refuses before writing anything, and files it must still accept."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, Order, OrderImport
from tests.query_counts import per_backend

pytestmark = pytest.mark.django_db

HEADER = "customer_id,order_id,placed_at,amount\n"


def _refused(path) -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("import_orders", str(path), stdout=StringIO())
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0
    return str(excinfo.value)


def test_latin1_file_is_refused_naming_line_and_byte(write_csv):
    path = write_csv(
        HEADER + "C1,O1,2025-01-01,1.00\nC2,O2,2025-01-01,1.00,Müller\n", encoding="latin-1"
    )
    message = _refused(path)
    assert message == (
        f"{path}: the file is not UTF-8 text: byte 0xfc at line 3 (byte offset 83) cannot be "
        "decoded; save or export the file as UTF-8 CSV"
    )
    failed = OrderImport.objects.get()
    assert (failed.status, failed.error) == ("failed", message.split(": ", 1)[1])


def test_missing_required_columns_are_named(write_csv):
    message = _refused(write_csv("customer_id,date,amount\nC1,2025-01-01,1.00\n"))
    assert message.endswith(
        "required column(s) missing: order_id, placed_at. The first line must name the columns "
        "customer_id, order_id, placed_at, amount (found: customer_id, date, amount)"
    )


def test_spreadsheet_and_binary_files_are_refused(write_csv, tmp_path):
    xlsx = tmp_path / "orders.xlsx"
    xlsx.write_bytes(b"PK\x03\x04" + bytes(100))
    assert _refused(xlsx).endswith(
        "this is not a CSV file: it looks like a ZIP archive or an Excel workbook (.xlsx); "
        "export it as CSV"
    )
    binary = tmp_path / "orders.bin"
    binary.write_bytes(HEADER.encode() + b"C1,O1,2025-01-01,1\x00\n")
    assert _refused(binary).endswith(
        "this is not a CSV text file: binary data (a NUL byte) at line 2"
    )


def test_empty_file_and_missing_file_are_refused(write_csv, tmp_path):
    assert _refused(write_csv("")).endswith(
        "the file is empty: expected a header line with column names"
    )
    assert "cannot read" in _refused(tmp_path / "nope.csv")


def test_bom_semicolons_crlf_and_unknown_columns_are_accepted(write_csv):
    text = "\ufeffCustomer_ID;Order_ID;Placed_At;Amount;Note\r\nC1;O1;2025-01-01;1.50;hello\r\n"
    out = StringIO()
    call_command("import_orders", str(write_csv(text)), stdout=out)

    assert list(Order.objects.values_list("external_id", "customer__external_id")) == [("O1", "C1")]
    assert "Ignored unknown column(s): note." in out.getvalue()


def test_a_row_with_too_few_fields_is_rejected_alone(write_csv):
    text = HEADER + "C1,O1,2025-01-01\nC1,O2,2025-01-01,2.00\n"
    out = StringIO()
    call_command("import_orders", str(write_csv(text)), stdout=out)

    assert list(Order.objects.values_list("external_id", flat=True)) == ["O2"]
    assert "row 2: (row): has 3 field(s), the header has 4" in out.getvalue()


def test_batches_cost_a_fixed_number_of_queries(write_csv):
    def file_with(n: int, start: int) -> str:
        rows = "".join(f"C{i % 50},O{i},2025-01-01,1.00\n" for i in range(start, start + n))
        return write_csv(HEADER + rows, f"f{start}.csv")

    # 800 rows: under SQLite's 900-parameter chunks, so both files need one query per step.
    small, large = file_with(10, 0), file_with(800, 10_000)
    call_command(
        "import_orders",
        str(write_csv(HEADER + "C0,X,2025-01-01,1\n", "warm.csv")),
        stdout=StringIO(),
    )
    with CaptureQueriesContext(connection) as few:
        call_command("import_orders", str(small), "--batch-rows", "100000", stdout=StringIO())
    with CaptureQueriesContext(connection) as many:
        call_command("import_orders", str(large), "--batch-rows", "100000", stdout=StringIO())

    # The import recorded, a savepoint per file and batch, the batch's reads and writes, the
    # figures and outcome, the loyalty check and whether a campaign's results follow.
    # PostgreSQL's batch is staged by COPY into temporary tables and upserted in a few
    # statements, under an advisory lock, with a first-load check before and ANALYZE after
    # the first batch.
    assert len(many) == len(few) == per_backend(sqlite=14, postgresql=21)
    assert Order.objects.count() == 811

    three_batches = file_with(30, 20_000)
    with CaptureQueriesContext(connection) as batched:
        call_command("import_orders", str(three_batches), "--batch-rows", "10", stdout=StringIO())
    # Three batches of 10 orders of known customers: the import's own 4 statements (the
    # last two ask whether the loyalty run and a campaign's results follow; and the
    # first-load check and one ANALYZE on PostgreSQL) and each batch's 8 on SQLite (two
    # savepoints, two reads, the orders, the figures), 15 on PostgreSQL.
    assert len(batched) == per_backend(sqlite=4 + 3 * 8, postgresql=4 + 2 + 3 * 15)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_utf16_or_utf32_file_is_refused_by_name_not_as_binary(write_csv, encoding):
    path = write_csv(HEADER + "C1,O1,2025-01-01,1.00\n", encoding=encoding)

    message = _refused(path)

    wide = "UTF-32" if encoding == "utf-32" else "UTF-16"
    assert message == (
        f"{path}: this is {wide} text; save it as UTF-8 (in Excel: Save as, CSV UTF-8), then "
        "import it again"
    )


def test_a_file_with_a_nul_byte_past_the_start_is_still_binary(write_csv):
    text = HEADER + "C1,O1,2025-01-01,1.00\n" * 100 + "C2,O2,2025-01-01,1\x00\n"
    assert _refused(write_csv(text)).endswith(
        "this is not a CSV text file: binary data (a NUL byte) at line 102"
    )
