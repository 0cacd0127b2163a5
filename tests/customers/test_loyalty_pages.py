"""The customer page's loyalty card, the staff points form and the loyalty admin."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from customers.models import LoyaltyStatus, LoyaltyTier, PointsBalance, PointsEntry
from customers.services.loyalty import loyalty_refresh
from tests.customers.loyalty_builders import buy, customer, make_tiers

pytestmark = pytest.mark.django_db


def logged_in(make_staff, role: str) -> Client:
    client = Client()
    client.force_login(make_staff(role))
    return client


@pytest.fixture
def silver_ann():
    """Silver on 130 spend in 2 orders (Gold needs 500 and 5 orders); 195 points."""
    make_tiers()
    ann = customer("ANN")
    today = timezone.localdate()
    buy(ann, today - timedelta(days=40), "50.00")
    buy(ann, today - timedelta(days=10), "80.00")
    loyalty_refresh(as_of=today)
    return ann


def test_card_shows_tier_progress_balance_and_ledger(make_staff, silver_ann):
    text = logged_in(make_staff, "Analyst").get(f"/customers/{silver_ann.pk}/").content.decode()

    assert 'id="loyalty"' in text
    assert "<strong>Silver</strong> since" in text
    assert "Earns 1.5× points." in text
    assert "130.00 USD in 2 completed orders" in text
    # Gold needs 500 spend *and* 5 orders: 370 more and 3 more.
    assert "<strong>Gold</strong> needs both:" in text
    assert "Spend 130.00 of 500.00 USD · 370.00 more" in text
    assert "Orders 2 of 5 · 3 more orders" in text
    assert '<strong id="points-balance">195</strong>' in text  # (50 + 80) x 1.5
    assert text.count("· Earned") == 2
    assert "None → Silver" not in text
    assert "— → Silver" in text
    assert 'action="/customers/' not in text  # Analysts may not change points


def test_support_redeems_points_with_a_reason(make_staff, silver_ann):
    client = logged_in(make_staff, "Support")
    url = f"/customers/{silver_ann.pk}/points/"

    response = client.post(url, {"action": "redeem", "points": "45", "reason": "Voucher"})

    assert response.status_code == 302
    assert response["Location"] == f"/customers/{silver_ann.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Redeemed 45 points." in page
    assert '<strong id="points-balance">150</strong>' in page
    entry = PointsEntry.objects.get(kind="redeem")
    assert entry.staff is not None
    assert (entry.points, entry.reason, entry.staff.username) == (-45, "Voucher", "support")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"action": "redeem", "points": "500", "reason": "Voucher"},
            "Points not changed: cannot redeem 500 points: the balance is only 195.",
        ),
        (
            {"action": "redeem", "points": "-5", "reason": "Voucher"},
            "Points not changed. Points: Enter how many points to redeem (a positive number).",
        ),
        (
            {"action": "adjust", "points": "ten", "reason": ""},
            "Points not changed. Points: Not a whole number. Reason: This field is required.",
        ),
    ],
)
def test_bad_requests_say_what_is_wrong_and_write_nothing(make_staff, silver_ann, data, message):
    client = logged_in(make_staff, "Support")
    response = client.post(f"/customers/{silver_ann.pk}/points/", data, follow=True)
    assert message in response.content.decode()
    assert PointsEntry.objects.exclude(kind="earn").count() == 0
    assert PointsBalance.objects.get(customer=silver_ann).balance == 195


@pytest.mark.parametrize("role", ["Analyst", "Marketing"])
def test_roles_without_the_permission_cannot_change_points(make_staff, silver_ann, role):
    client = logged_in(make_staff, role)
    for action in ("redeem", "adjust"):
        response = client.post(
            f"/customers/{silver_ann.pk}/points/",
            {"action": action, "points": "5", "reason": "x"},
        )
        assert response.status_code == 403
    assert PointsEntry.objects.exclude(kind="earn").count() == 0


def test_the_points_form_takes_posts_only(make_staff, silver_ann):
    client = logged_in(make_staff, "Support")
    assert client.get(f"/customers/{silver_ann.pk}/points/").status_code == 405


def test_a_customer_without_orders_has_an_empty_card(admin_client):
    make_tiers()
    bob = customer()
    text = admin_client.get(f"/customers/{bob.pk}/").content.decode()
    assert "No tier yet" in text
    assert "<strong>Bronze</strong> needs" in text
    assert "Orders 0 of 1 · 1 more order<" in text
    assert '<strong id="points-balance">0</strong>' in text


def test_admin_manages_tiers_and_shows_the_ledger_read_only(admin_client, silver_ann):
    assert admin_client.get("/admin/customers/loyaltytier/").status_code == 200
    response = admin_client.post(
        "/admin/customers/loyaltytier/add/",
        {
            "name": "Diamond",
            "rank": "9",
            "min_spend": "",
            "min_orders": "",
            "qualify_on": "any",
            "points_multiplier": "3",
            "discount_percent": "20",
            "description": "",
        },
    )
    assert "Set a minimum spend, a minimum order count, or both." in response.content.decode()
    assert not LoyaltyTier.objects.filter(name="Diamond").exists()

    assert admin_client.get("/admin/customers/loyaltysettings/").status_code == 200
    assert admin_client.get("/admin/customers/loyaltysettings/1/change/").status_code == 200
    assert admin_client.get("/admin/customers/pointsentry/").status_code == 200
    assert admin_client.get("/admin/customers/pointsentry/add/").status_code == 403
    assert admin_client.get("/admin/customers/loyaltytierchange/").status_code == 200
    assert admin_client.get("/admin/customers/loyaltystatus/").status_code == 200


def test_an_upload_runs_the_loyalty_programme_after_the_import(
    admin_client, django_capture_on_commit_callbacks
):
    make_tiers()
    today = timezone.localdate().isoformat()
    upload = SimpleUploadedFile(
        "orders.csv", f"customer_id,order_id,placed_at,amount\nC9,O9,{today},150.00\n".encode()
    )
    # The upload queues the import on commit; the import queues the loyalty run on commit;
    # tasks run in-process here.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        admin_client.post("/customers/imports/", {"file": upload})

    # The import, the loyalty run and the dashboard's aggregates it queued, the triggers.
    assert len(callbacks) == 4
    status = LoyaltyStatus.objects.select_related("tier", "customer").get()
    assert status.tier is not None
    assert (status.customer.external_id, status.tier.name) == ("C9", "Silver")
    assert PointsEntry.objects.get().points == 225  # 150 x 1.5 (Silver)


def test_an_upload_leaves_loyalty_alone_when_the_shop_has_no_tiers(
    admin_client, django_capture_on_commit_callbacks
):
    today = timezone.localdate().isoformat()
    upload = SimpleUploadedFile(
        "orders.csv", f"customer_id,order_id,placed_at,amount\nC9,O9,{today},150.00\n".encode()
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        admin_client.post("/customers/imports/", {"file": upload})

    assert len(callbacks) == 2  # the import and the dashboard's aggregates, no loyalty run
    assert not PointsEntry.objects.exists()
    assert not LoyaltyStatus.objects.exists()


# ---------------------------------------------------------------- query counts


@pytest.mark.parametrize("size", [3, 30])
def test_loyalty_card_and_points_form_cost_the_same_queries_at_any_size(
    make_staff, django_assert_num_queries, size
):
    """A customer with ``size`` orders: as many earnings, tier changes up to Gold."""
    make_tiers()
    ann = customer("ANN")
    today = timezone.localdate()
    for day in range(size):
        buy(ann, today - timedelta(days=size - day), "100.00")
        loyalty_refresh(as_of=today - timedelta(days=size - day))
    client = logged_in(make_staff, "Support")

    # Session, user, permissions (2), the customer, order figures, recent orders, their
    # lines; the card's status with balance, 12-month activity, next tier, ledger, history;
    # the notes, the open tasks, the task form's assignees; the consent history, the segment
    # history, the campaign messages and the holdouts, the NPS answers.
    with django_assert_num_queries(21):
        page = client.get(f"/customers/{ann.pk}/")
    # Session, user, permissions (2), the customer; in a savepoint, the balance row made
    # sure of, then locked, changed by a conditional update, the ledger line written, its
    # audit entry.
    with django_assert_num_queries(12):
        redeemed = client.post(
            f"/customers/{ann.pk}/points/", {"action": "redeem", "points": "5", "reason": "x"}
        )
    with django_assert_num_queries(12):
        adjusted = client.post(
            f"/customers/{ann.pk}/points/", {"action": "adjust", "points": "-5", "reason": "x"}
        )

    assert page.content.decode().count("· Earned") == min(size, 20)
    assert (redeemed.status_code, adjusted.status_code) == (302, 302)
    assert PointsEntry.objects.exclude(kind="earn").count() == 2
