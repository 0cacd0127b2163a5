"""Marketing spend: the model's constraints, the CSV import (rows rejected with row, column
and reason; good rows in; the same file again changes nothing) and the upserting service."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError, transaction

from customers.marketing.spend_csv import SpendFileError, SpendRejection
from customers.marketing.store import SpendWritten
from customers.marketing.values import SpendEntry
from customers.models import AcquisitionChannel, Customer, MarketingSpend
from customers.services.marketing import marketing_spend_import, marketing_spend_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels() -> dict[str, AcquisitionChannel]:
    return {
        name: AcquisitionChannel.objects.create(name=name)
        for name in ("Paid search", "Referral", "paid social", "Paid Social")
    }


def _stored() -> list[tuple[str, str, str]]:
    return [
        (f"{month:%Y-%m}", name, str(amount))
        for month, name, amount in MarketingSpend.objects.order_by(
            "month", "channel__name"
        ).values_list("month", "channel__name", "amount")
    ]


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"month": date(2025, 1, 1), "amount": Decimal("-0.01")}, "amount_not_negative"),
        ({"month": date(2025, 1, 2), "amount": Decimal("1.00")}, "month_first_day"),
    ],
)
def test_the_table_refuses_what_spend_cannot_be(channels, values, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        MarketingSpend.objects.create(channel=channels["Referral"], **values)
    assert MarketingSpend.objects.count() == 0


def test_one_row_per_month_and_channel(channels):
    MarketingSpend.objects.create(
        channel=channels["Referral"], month=date(2025, 1, 1), amount=Decimal("5.00")
    )
    # PostgreSQL names the constraint; SQLite, its columns.
    duplicate = "one_per_month_and_channel|UNIQUE constraint failed: customers_marketingspend"
    with pytest.raises(IntegrityError, match=duplicate), transaction.atomic():
        MarketingSpend.objects.create(
            channel=channels["Referral"], month=date(2025, 1, 1), amount=Decimal("6.00")
        )
    assert _stored() == [("2025-01", "Referral", "5.00")]


GOOD_AND_BAD = (
    "month,channel,amount\n"
    "2025-01,Paid search,1200.50\n"
    "2025-1,Paid search,10\n"  # row 3
    "2025-02,Googel Ads,10\n"  # row 4
    "2025-02,Referral,-5\n"  # row 5
    "2025-02,Referral,1.005\n"  # row 6
    "2025-03,referral,300\n"  # row 7: the name in another case
    ",,\n"  # an empty row: skipped
    "2025-04,Referral,\n"  # row 9
    "2025-04,paid social,40\n"  # row 10
    "2025-13,Nowhere,x\n"  # row 11: three reasons
)


def test_good_rows_go_in_and_bad_rows_are_reported(channels):
    user = User.objects.create_user("marketer")

    read, written = marketing_spend_import(content=GOOD_AND_BAD.encode(), user=user)

    assert read.rows == 9  # the empty row is not one
    assert read.rows_rejected == 6
    assert read.rejections == [
        SpendRejection(3, "month", "2025-1", "not a month (use YYYY-MM, like 2025-03)"),
        SpendRejection(
            4,
            "channel",
            "Googel Ads",
            "no acquisition channel has this name (check the spelling, or add the channel)",
        ),
        SpendRejection(5, "amount", "-5", "negative"),
        SpendRejection(6, "amount", "1.005", "more than 2 decimal places"),
        SpendRejection(9, "amount", "", "empty (write 0 for no spend)"),
        SpendRejection(11, "month", "2025-13", "not a month (use YYYY-MM, like 2025-03)"),
        SpendRejection(
            11,
            "channel",
            "Nowhere",
            "no acquisition channel has this name (check the spelling, or add the channel)",
        ),
        SpendRejection(
            11,
            "amount",
            "x",
            "not a number (use a dot as decimal separator, no currency sign)",
        ),
    ]
    assert written == SpendWritten(created=3, updated=0, unchanged=0, removed=0)
    # "referral" has one channel in any case; "paid social" is exact (two differ by case).
    assert _stored() == [
        ("2025-01", "Paid search", "1200.50"),
        ("2025-03", "Referral", "300.00"),
        ("2025-04", "paid social", "40.00"),
    ]
    assert set(MarketingSpend.objects.values_list("updated_by__username", flat=True)) == {
        "marketer"
    }


def test_importing_the_same_file_again_changes_nothing(channels):
    marketing_spend_import(content=GOOD_AND_BAD.encode(), user=None)
    before = list(MarketingSpend.objects.order_by("pk").values())

    read, written = marketing_spend_import(content=GOOD_AND_BAD.encode(), user=None)

    assert written == SpendWritten(created=0, updated=0, unchanged=3, removed=0)
    assert read.rows_rejected == 6
    assert list(MarketingSpend.objects.order_by("pk").values()) == before


def test_a_corrected_file_updates_the_amounts_it_changes(channels):
    marketing_spend_import(content=b"month,channel,amount\n2025-01,Referral,10\n", user=None)
    corrected = "\ufeffAmount;Month;Channel\n12.00;2025-01;Referral\n7;2025-02;Referral\n"

    read, written = marketing_spend_import(content=corrected.encode(), user=None)

    assert read.rejections == []
    assert written == SpendWritten(created=1, updated=1, unchanged=0, removed=0)
    assert _stored() == [("2025-01", "Referral", "12.00"), ("2025-02", "Referral", "7.00")]


def test_a_month_and_channel_given_twice_is_rejected_in_both_rows(channels):
    text = "month,channel,amount\n2025-01,Referral,10\n2025-02,Referral,20\n2025-01,Referral,11\n"

    read, written = marketing_spend_import(content=text.encode(), user=None)

    reason = "the same month and channel as row {}: one amount each"
    assert read.rejections == [
        SpendRejection(2, "month", "2025-01", reason.format(4)),
        SpendRejection(4, "month", "2025-01", reason.format(2)),
    ]
    assert written.created == 1
    assert _stored() == [("2025-02", "Referral", "20.00")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty: expected a header line month,channel,amount"),
        (
            b"month,channel,spend\n2025-01,Referral,1\n",
            "required column(s) missing: amount; the header must name month, channel and amount",
        ),
        (
            "month,channel,amount\n2025-01,Réferral,1\n".encode("latin-1"),
            "the file is not UTF-8 text; save it as CSV UTF-8 (in Excel: Save as, CSV UTF-8)",
        ),
        (
            b"PK\x03\x04rest of a workbook",
            "this is not a CSV file: it looks like a ZIP archive or an Excel workbook (.xlsx); "
            "export it as CSV",
        ),
        (b"month,channel,amount\n2025-01\x00,x,1\n", "this is not a CSV file: it contains NUL"),
    ],
)
def test_a_file_that_cannot_be_read_writes_nothing(channels, content, message):
    with pytest.raises(SpendFileError) as refused:
        marketing_spend_import(content=content, user=None)
    assert str(refused.value).startswith(message)
    assert MarketingSpend.objects.count() == 0


def test_saving_upserts_and_removes_in_one_transaction(channels, django_assert_num_queries):
    referral, paid = channels["Referral"].pk, channels["Paid search"].pk
    marketing_spend_save(
        entries=[
            SpendEntry(date(2025, 1, 1), referral, Decimal("10.00")),
            SpendEntry(date(2025, 2, 1), referral, Decimal("20.00")),
        ],
        user=None,
    )

    # savepoint, the rows there (locked), one upsert, one delete, release.
    with django_assert_num_queries(5):
        written = marketing_spend_save(
            entries=[
                SpendEntry(date(2025, 1, 1), referral, Decimal("10.00")),
                SpendEntry(date(2025, 3, 1), referral, Decimal("30.00")),
                SpendEntry(date(2025, 3, 1), paid, Decimal("0.00")),
            ],
            removed=[(date(2025, 2, 1), referral), (date(2025, 5, 1), referral)],
            user=None,
        )

    assert written == SpendWritten(created=2, updated=0, unchanged=1, removed=1)
    assert _stored() == [
        ("2025-01", "Referral", "10.00"),
        ("2025-03", "Paid search", "0.00"),
        ("2025-03", "Referral", "30.00"),
    ]


def test_saving_a_month_and_channel_twice_is_refused(channels):
    referral = channels["Referral"].pk
    twice = [
        SpendEntry(date(2025, 1, 1), referral, Decimal("1.00")),
        SpendEntry(date(2025, 1, 1), referral, Decimal("2.00")),
    ]
    with pytest.raises(ValueError, match="each month and channel may come once"):
        marketing_spend_save(entries=twice, user=None)
    assert MarketingSpend.objects.count() == 0


def test_a_demo_reset_takes_the_spend_on_its_channels_with_it():
    demo = ("seed_demo", "--customers", "20", "--seed", "3")
    call_command(*demo, stdout=StringIO())
    channel = AcquisitionChannel.objects.get(name="Paid search")
    MarketingSpend.objects.create(month=date(2025, 1, 1), channel=channel, amount=Decimal("9"))

    call_command(*demo, "--reset", "--no-input", stdout=StringIO())

    assert MarketingSpend.objects.count() == 0
    assert Customer.objects.count() == 20


def test_a_staff_import_is_audited_once_and_a_repeat_that_writes_nothing_is_not(channels):
    from clvcrm.core.models import AuditEntry

    marketer = User.objects.create_user("marketer")
    content = b"month,channel,amount\n2025-01,Referral,10\n"
    marketing_spend_import(content=content, user=marketer)
    marketing_spend_import(content=content, user=marketer)  # the same figures: nothing written

    entry = AuditEntry.objects.get()
    referral = channels["Referral"].pk
    assert (entry.actor_name, entry.action) == ("marketer", "marketing_spend.import")
    assert entry.changes == {
        "created": 1,
        "updated": 0,
        "removed": 0,
        "entries": [["2025-01-01", referral, "10.00"]],
        "removed_rows": [],
    }
