"""The marketing pages by role: the CAC table of a period, the spend grid, the CSV upload."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from customers.models import AcquisitionChannel, MarketingSpend
from tests.customers.marketing_shop import marketing_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketing_client(make_staff) -> Client:
    client = Client()
    client.force_login(make_staff("Marketing"))
    return client


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def _row(response, name: str) -> str:
    """The text of the CAC table's row of ``name``."""
    html = response.content.decode()
    found = re.search(rf"<tr[^>]*>\s*<th[^>]*>{re.escape(name)}</th>(.*?)</tr>", html, re.S)
    assert found, name
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found[1])).strip()


def test_the_cac_table_of_a_period(analyst_client, django_assert_num_queries, settings):
    settings.SHOP_CURRENCY = "EUR"
    marketing_shop()

    # session, user, permissions (2), the run, channels, spend, customers grouped by channel
    with django_assert_num_queries(8):
        response = analyst_client.get(
            "/customers/marketing/", {"start": "2025-01-01", "end": "2025-03-31"}
        )

    assert response.status_code == 200
    assert _row(response, "Paid search") == (
        "3,000.00 EUR 4 (3 valued) 750.00 EUR 500.00 EUR 0.67 22.5 months"
    )
    assert _row(response, "Referral") == "200.00 EUR 2 100.00 EUR 900.00 EUR 9.00 1.7 months"
    assert _row(response, "Social") == "600.00 EUR 0 — — — —"
    assert _row(response, "Organic") == "— 1 — 120.00 EUR — —"
    assert _row(response, "No channel") == "— 2 — 55.00 EUR — —"
    assert _row(response, "All channels (blended)") == (
        "3,800.00 EUR 9 (8 valued) 422.22 EUR 441.25 EUR 1.05 14.7 months"
    )
    html = response.content.decode()
    # Below 1 in red, above 3 in green.
    assert '<span class="ratio ratio-low">0.67</span>' in html
    assert '<span class="ratio ratio-high">9.00</span>' in html
    assert '<span class="ratio">1.05</span>' in html
    assert "CLV run as of 2025-03-15" in html
    # Analysts see; they cannot enter spend.
    assert "Spend by month" in html
    assert "Import spend" not in html


def test_a_period_that_cannot_be_shown_says_why(analyst_client):
    marketing_shop()

    response = analyst_client.get(
        "/customers/marketing/", {"start": "2025-03-31", "end": "2025-01-01"}
    )
    bad_day = analyst_client.get("/customers/marketing/", {"start": "2025-02-30", "end": "x"})

    assert response.status_code == 200
    assert "End: The end is before the start. Showing" in _text(response)
    assert bad_day.status_code == 200
    assert "Start: Not a date (use YYYY-MM-DD)." in _text(bad_day)
    assert "End: Not a date (use YYYY-MM-DD)." in _text(bad_day)


def test_the_default_period_is_the_last_twelve_months(analyst_client):
    response = analyst_client.get("/customers/marketing/")

    assert response.status_code == 200
    assert 'class="active">Last 12 months</a>' in response.content.decode()


@pytest.mark.parametrize(("role", "status"), [("Support", 200), ("Marketing", 200)])
def test_who_sees_the_marketing_page(make_staff, role, status):
    client = Client()
    client.force_login(make_staff(role))
    assert client.get("/customers/marketing/").status_code == status


def test_staff_without_a_role_see_no_marketing_page(db):
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_user("nobody", is_staff=True))
    assert client.get("/customers/marketing/").status_code == 403
    assert client.get("/customers/marketing/spend/").status_code == 403


def test_the_spend_grid_read_only_for_analysts(analyst_client, django_assert_num_queries):
    shop = marketing_shop()

    # session, user, permissions (2), channels, the year's spend
    with django_assert_num_queries(6):
        response = analyst_client.get("/customers/marketing/spend/", {"year": "2025"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<input name=" not in html.split('id="spend-grid"')[1]
    assert "Save 2025" not in html
    assert "1,000.00" in html
    forbidden = analyst_client.post(
        "/customers/marketing/spend/?year=2025", {f"2025-05_{shop.paid.pk}": "1"}
    )
    assert forbidden.status_code == 403
    assert MarketingSpend.objects.filter(month=date(2025, 5, 1)).count() == 0


def test_marketing_saves_a_year_of_spend(marketing_client):
    shop = marketing_shop()
    page = marketing_client.get("/customers/marketing/spend/", {"year": "2025"})
    fields = dict(
        re.findall(r'<input name="(2025-\d\d_\d+)" value="([^"]*)"', page.content.decode())
    )
    assert len(fields) == 12 * 4
    assert fields[f"2025-01_{shop.paid.pk}"] == "1000.00"

    fields[f"2025-01_{shop.paid.pk}"] = "1100"  # changed
    fields[f"2025-02_{shop.paid.pk}"] = ""  # cleared
    fields[f"2025-06_{shop.organic.pk}"] = "0"  # new
    response = marketing_client.post("/customers/marketing/spend/?year=2025", fields)

    assert response.status_code == 302
    assert response["Location"] == "/customers/marketing/spend/?year=2025"
    stored = dict(
        MarketingSpend.objects.filter(month__year=2025)
        .values_list("month", "amount")
        .filter(channel__in=[shop.paid, shop.organic])
    )
    assert stored == {
        date(2025, 1, 1): Decimal("1100.00"),
        date(2025, 3, 1): Decimal("1000.00"),
        date(2025, 4, 1): Decimal("700.00"),
        date(2025, 6, 1): Decimal("0.00"),
    }
    shown = marketing_client.get(response["Location"])
    assert "Saved the spend of 2025: 1 new, 1 changed, 1 cleared." in _text(shown)


def test_a_bad_cell_saves_nothing_and_names_month_and_channel(marketing_client):
    shop = marketing_shop()
    fields = {
        f"2025-05_{shop.paid.pk}": "12,50",
        f"2025-06_{shop.social.pk}": "-3",
        f"2025-07_{shop.referral.pk}": "40",
    }

    response = marketing_client.post("/customers/marketing/spend/?year=2025", fields)

    assert response.status_code == 200
    errors = re.findall(r'<li class="error">([^<]*)</li>', response.content.decode())
    assert errors == [
        "Paid search, May 2025: not a number (use a dot as decimal separator, no currency sign).",
        "Social, June 2025: negative.",
    ]
    assert (
        MarketingSpend.objects.filter(
            month__gte=date(2025, 5, 1), month__lt=date(2025, 8, 1)
        ).count()
        == 0
    )


def test_an_impossible_year_falls_back_to_this_one(analyst_client):
    response = analyst_client.get("/customers/marketing/spend/", {"year": "１２"})

    assert response.status_code == 200
    assert "Year: Not a whole number." in _text(response)


def test_the_csv_upload_reports_rows_and_imports_the_good_ones(marketing_client):
    AcquisitionChannel.objects.create(name="Referral")
    upload = SimpleUploadedFile(
        "spend.csv", b"month,channel,amount\n2025-01,Referral,10\n2025-02,Nope,5\n"
    )

    response = marketing_client.post("/customers/marketing/spend/import/", {"file": upload})

    assert response.status_code == 200
    text = _text(response)
    assert "2 rows read: 1 new, 0 changed, 0 already so, 1 rejected" in text
    assert (
        "3 channel Nope no acquisition channel has this name (check the spelling, or add the "
        "channel)" in text
    )
    assert list(MarketingSpend.objects.values_list("amount", flat=True)) == [Decimal("10.00")]


def test_a_file_that_cannot_be_read_is_refused_whole(marketing_client):
    upload = SimpleUploadedFile("spend.csv", b"month;channel\n2025-01;Referral\n")

    response = marketing_client.post("/customers/marketing/spend/import/", {"file": upload})

    assert "Nothing imported: required column(s) missing: amount" in _text(response)
    assert MarketingSpend.objects.count() == 0


def test_a_file_past_the_limit_is_refused_as_it_arrives(marketing_client, settings):
    settings.MARKETING_SPEND_MAX_UPLOAD_BYTES = 10
    upload = SimpleUploadedFile("spend.csv", b"month,channel,amount\n2025-01,Referral,10\n")

    response = marketing_client.post("/customers/marketing/spend/import/", {"file": upload})

    assert "The file is larger than the upload limit of 10" in _text(response)
    assert MarketingSpend.objects.count() == 0


def test_analysts_cannot_import_spend(analyst_client):
    assert analyst_client.get("/customers/marketing/spend/import/").status_code == 403
