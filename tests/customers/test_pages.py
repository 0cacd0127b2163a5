"""Staff pages: the customer list (search, filters, sort, keyset pages), customer page,
imports through the upload page, and what each role may see."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from customers.models import (
    AcquisitionChannel,
    Customer,
    ImportRejection,
    Order,
    OrderImport,
)
from tests.factories import order_with_coffee, orders_with_lines
from tests.responses import streamed_text

pytestmark = pytest.mark.django_db


def _customers(n: int) -> list[Customer]:
    channel = AcquisitionChannel.objects.create(name="Referral")
    return Customer.objects.bulk_create(
        Customer(
            external_id=f"C{i:03}",
            email=f"person{i}@example.com",
            first_name=f"First{i:03}",
            last_name=f"Last{i % 7}",
            country="DE" if i % 2 else "FR",
            acquisition_channel=channel if i % 3 == 0 else None,
            acquired_on=date(2025, 1, 1) + timedelta(days=i),
            marketing_consent=i % 2 == 0,
        )
        for i in range(n)
    )


def _ids(response) -> list[str]:
    return re.findall(r'<td class="mono">(C\d+)</td>', response.content.decode())


def test_list_pages_with_keyset_cursors_in_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries
):
    _customers(120)

    # session, user, permissions (2), the page, the capped count, channels for the form
    with django_assert_num_queries(7):
        first = admin_client.get("/customers/", {"sort": "acquired"})
    assert _ids(first) == [f"C{i:03}" for i in range(50)]
    assert b"120 customers" in first.content

    next_url = _found(r'href="\?([^"]*after=[^"]+)"', first.content.decode())
    second = admin_client.get("/customers/?" + next_url.replace("&amp;", "&"))
    assert _ids(second) == [f"C{i:03}" for i in range(50, 100)]

    prev_url = _found(r'href="\?([^"]*before=[^"]+)"', second.content.decode())
    back = admin_client.get("/customers/?" + prev_url.replace("&amp;", "&"))
    assert _ids(back) == _ids(first)


def test_list_sorts_by_name_descending_and_filters(admin_client):
    _customers(30)

    by_name = admin_client.get("/customers/", {"sort": "-name", "country": "de"})
    ids = _ids(by_name)
    assert len(ids) == 15
    customers = {c.external_id: c for c in Customer.objects.all()}
    keys = [(customers[i].last_name, customers[i].first_name) for i in ids]
    assert keys == sorted(keys, reverse=True)
    assert all(customers[i].country.code == "DE" for i in ids)  # type: ignore[attr-defined]  # django-countries gives a Country; its field is typed as a CharField's str

    consented = admin_client.get("/customers/", {"consent": "yes"})
    assert sorted(_ids(consented)) == [f"C{i:03}" for i in range(0, 30, 2)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("C007", ["C007"]), ("PERSON12@example.com", ["C012"]), ("first02 last1", ["C029", "C022"])],
)
def test_search_by_id_email_or_name(admin_client, query, expected):
    _customers(30)
    assert _ids(admin_client.get("/customers/", {"q": query})) == expected


def test_customer_page_shows_profile_andorders_with_lines(admin_client, django_assert_num_queries):
    customer = _customers(1)[0]
    order_with_coffee(customer)

    # session, user, permissions (2), the customer, order figures, recent orders, their
    # lines; the loyalty card's five (status, 12-month activity, next tier, ledger, history);
    # the notes, the open tasks, the task form's assignees; the consent history, the segment
    # history, the campaign messages and the holdouts, the NPS answers
    with django_assert_num_queries(21):
        page = admin_client.get(f"/customers/{customer.pk}/")

    text = page.content.decode()
    assert "First000 Last0" in text
    assert "person0@example.com" in text
    assert "2 × House blend" in text
    assert "25.00 USD" in text


def test_upload_page_imports_and_reports_rejected_rows(
    make_staff, client, django_capture_on_commit_callbacks
):
    client.force_login(make_staff("Support"))
    upload = SimpleUploadedFile(
        "orders.csv",
        b"customer_id,order_id,placed_at,amount\nC1,O1,2025-01-01,9.99\nC1,O2,bad,1\n"
        b"C2,O3,2025-01-02,=1+1\n",
        content_type="text/csv",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/customers/imports/", {"file": upload})

    order_import = OrderImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/imports/{order_import.pk}/"
    assert (order_import.status, order_import.orders_created, order_import.rows_rejected) == (
        "succeeded",
        1,
        2,
    )
    detail = client.get(response["Location"]).content.decode()
    assert "not a date or date-time" in detail
    report = client.get(f"/customers/imports/{order_import.pk}/rejected-rows.csv")
    body = streamed_text(report)
    assert list(csv.reader(io.StringIO(body))) == [
        ["row", "kind", "order_id", "column", "value", "reason"],
        [
            "3",
            "rejected",
            "O2",
            "placed_at",
            "bad",
            "not a date or date-time (use YYYY-MM-DD or ISO 8601)",
        ],
        # A formula from the uploaded file is neutralised before it reaches a spreadsheet.
        [
            "4",
            "rejected",
            "O3",
            "amount",
            "'=1+1",
            "not a number (use a dot as decimal separator, no currency sign)",
        ],
    ]


def test_upload_refuses_a_file_that_is_not_csv(admin_client):
    upload = SimpleUploadedFile("orders.xlsx", b"PK\x03\x04data")
    response = admin_client.post("/customers/imports/", {"file": upload})
    assert response.status_code == 200
    assert b"Choose a .csv file" in response.content
    assert OrderImport.objects.count() == 0


def test_an_unreadable_upload_fails_with_its_reason(
    admin_client, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("orders.csv", b"id,when\n1,2\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/customers/imports/", {"file": upload})
    response = admin_client.get(response["Location"])
    order_import = OrderImport.objects.get()
    assert order_import.status == "failed"
    assert order_import.error.startswith("required column(s) missing: customer_id, order_id")
    assert order_import.error in response.content.decode()


def test_dry_run_upload_keeps_the_report_but_writes_no_orders(
    admin_client, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile(
        "orders.csv", b"customer_id,order_id,placed_at,amount\nC1,O1,2025-01-01,1\nC1,O2,x,1\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/customers/imports/", {"file": upload, "dry_run": "on"})
    order_import = OrderImport.objects.get()
    assert (order_import.dry_run, order_import.orders_created, order_import.rows_rejected) == (
        True,
        1,
        1,
    )
    assert order_import.rejections.count() == 1
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0


def test_roles(make_staff, client):
    _customers(3)
    client.force_login(make_staff("Analyst"))
    assert client.get("/customers/").status_code == 200
    assert client.get("/customers/imports/").status_code == 403
    assert client.post("/customers/imports/").status_code == 403

    client.force_login(make_staff("Support", "support"))
    assert client.get("/customers/imports/").status_code == 200

    nobody = make_staff("Analyst", "nobody")
    nobody.groups.clear()
    client.force_login(nobody)
    assert client.get("/customers/").status_code == 403


def test_list_filters_by_channel_and_reports_a_channel_that_is_no_choice(
    admin_client: Client,
) -> None:
    _customers(30)
    channel = AcquisitionChannel.objects.get(name="Referral")

    by_channel = admin_client.get("/customers/", {"channel": str(channel.pk)})
    garbage = [admin_client.get("/customers/", {"channel": v}) for v in ("²", "١", "9" * 30)]

    assert sorted(_ids(by_channel)) == [f"C{i:03}" for i in range(0, 30, 3)]
    for response in garbage:
        assert response.status_code == 200
        assert len(_ids(response)) == 30  # the filters are dropped, the error shown
        assert "Select a valid choice." in response.content.decode()


def _found(pattern: str, text: str) -> str:
    """The first group of ``pattern``'s first match in ``text``; fails the test if none."""
    match = re.search(pattern, text)
    assert match is not None, pattern
    return match.group(1)


# ---------------------------------------------------------------- query counts


def _imports(n: int, by: User) -> OrderImport:
    """``n`` imports by ``by``; the last one with ``n`` rejected rows and ``n`` warnings."""
    imports = [OrderImport.objects.create(file_name=f"f{i}.csv", created_by=by) for i in range(n)]
    ImportRejection.objects.bulk_create(
        ImportRejection(
            order_import=imports[-1],
            row=row,
            order_id=f"O{row}",
            column="amount",
            value="x",
            reason="not a number",
            kind=kind,
        )
        for row in range(2, n + 2)
        for kind in (ImportRejection.Kind.REJECTED, ImportRejection.Kind.WARNING)
    )
    return imports[-1]


@pytest.mark.parametrize("size", [3, 30])
def test_customer_pages_cost_the_same_queries_at_any_size(
    admin_client, django_assert_num_queries, size
):
    customers = _customers(size)
    orders_with_lines(customers[0], size)

    # session, user, permissions (2), the page, the capped count, channels for the form
    with django_assert_num_queries(7):
        listing = admin_client.get("/customers/", {"country": "de", "sort": "-name"})
    # session, user, permissions (2), the customer, order figures, recent orders, their
    # lines; the loyalty card's five (status, 12-month activity, next tier, ledger, history);
    # the notes, the open tasks, the task form's assignees; the consent history, the segment
    # history, the campaign messages and the holdouts, the NPS answers
    with django_assert_num_queries(21):
        detail = admin_client.get(f"/customers/{customers[0].pk}/")

    assert len(_ids(listing)) == size // 2
    assert detail.content.decode().count("1 × Green tea") == 2 * size


@pytest.mark.parametrize("size", [3, 30])
def test_import_pages_cost_the_same_queries_at_any_size(
    make_staff, client, django_assert_num_queries, django_capture_on_commit_callbacks, size
):
    support = make_staff("Support")
    client.force_login(support)
    order_import = _imports(size, support)

    # session, user, permissions (2), the imports with who started them
    with django_assert_num_queries(5):
        listing = client.get("/customers/imports/")
    # session, user, permissions (2), the import, its rejected rows, its warnings
    with django_assert_num_queries(7):
        detail = client.get(f"/customers/imports/{order_import.pk}/")
    # session, user, permissions (2), the import, the report's rows (read while streaming)
    with django_assert_num_queries(6):
        report = client.get(f"/customers/imports/{order_import.pk}/rejected-rows.csv")
        rows = list(csv.reader(io.StringIO(streamed_text(report))))
    lines = "".join(f"C{i},U{i},2025-01-01,1.00\n" for i in range(size))
    upload = SimpleUploadedFile(
        "orders.csv", f"customer_id,order_id,placed_at,amount\n{lines}".encode()
    )
    # session, user, permissions (2), the import and its audit entry recorded in a
    # savepoint (4); the file is read after the commit, whatever its size
    with django_capture_on_commit_callbacks() as queued, django_assert_num_queries(8):
        uploaded = client.post("/customers/imports/", {"file": upload})

    assert (uploaded.status_code, len(queued)) == (302, 1)  # the import runs after the commit
    # The latest 20 imports are listed.
    assert len(re.findall(r'<a href="/customers/imports/\d+/">', listing.content.decode())) == min(
        size, 20
    )
    assert detail.content.decode().count("not a number") == 2 * size
    assert len(rows) == 1 + 2 * size
