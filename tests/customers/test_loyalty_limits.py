"""Points at the limits: the largest order, the largest rates, balances near 64 bits.

Points and balances are 64-bit: the largest order the ``Order.total`` column holds, at the
largest base rate and the largest multiplier the settings allow, earns a number of points
that fits one ledger line, and no run or staff change can push a balance past the limit.
"""

from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db.models import Model
from django.test import Client

from clvcrm.core.input_values import INT64_MAX, decimal_largest
from clvcrm.core.model_fields import model_field
from customers.loyalty import points as points_module
from customers.loyalty.ledger import MAX_POINTS, PointsError
from customers.models import (
    LoyaltySettings,
    LoyaltyTier,
    LoyaltyTierChange,
    Order,
    PointsBalance,
    PointsEntry,
)
from customers.services.loyalty import loyalty_refresh, points_adjust
from tests.customers.loyalty_builders import buy, configure, customer, make_tiers

pytestmark = pytest.mark.django_db

LARGEST_TOTAL = decimal_largest(
    max_digits=Order._meta.get_field("total").max_digits,
    decimal_places=Order._meta.get_field("total").decimal_places,
)


def _largest_allowed(model: type[Model], field: str) -> Decimal:
    (bound,) = (
        v.limit_value
        for v in model_field(model, field).validators
        if isinstance(v, MaxValueValidator)
    )
    return bound


def _points(total: Decimal, rate: Decimal, multiplier: Decimal) -> int:
    return int((total * rate * multiplier).to_integral_value(rounding=ROUND_FLOOR))


def _one_tier(multiplier: str) -> LoyaltyTier:
    return LoyaltyTier.objects.create(
        name="Everyone", rank=1, min_orders=1, points_multiplier=Decimal(multiplier)
    )


def _balance_near_the_limit(room: int):
    """A customer whose balance (and ledger) is ``room`` points short of the 64-bit limit."""
    ann = customer()
    PointsEntry.objects.create(customer=ann, kind="adjust", points=INT64_MAX - room, reason="x")
    PointsBalance.objects.create(customer=ann, balance=INT64_MAX - room)
    return ann


def test_the_largest_order_at_the_largest_rates_fits_a_ledger_line():
    rate = _largest_allowed(LoyaltySettings, "points_per_currency_unit")
    multiplier = _largest_allowed(LoyaltyTier, "points_multiplier")

    assert (LARGEST_TOTAL, rate, multiplier) == (
        Decimal("9999999999.99"),
        Decimal("9999.9999"),
        Decimal("99.99"),
    )
    assert _points(LARGEST_TOTAL, rate, multiplier) == 9_998_999_900_000_001 <= INT64_MAX


def test_the_settings_refuse_rates_past_the_limits():
    rules = LoyaltySettings.load()
    rules.points_per_currency_unit = Decimal("10000")
    with pytest.raises(ValidationError) as refused:
        rules.full_clean()
    assert refused.value.message_dict["points_per_currency_unit"] == [
        "Ensure this value is less than or equal to 9999.9999.",
        "Ensure that there are no more than 4 digits before the decimal point.",
    ]
    tier = LoyaltyTier(name="Top", rank=1, min_orders=1, points_multiplier=Decimal("100"))
    with pytest.raises(ValidationError) as refused:
        tier.full_clean()
    assert refused.value.message_dict["points_multiplier"] == [
        "Ensure this value is less than or equal to 99.99.",
        "Ensure that there are no more than 2 digits before the decimal point.",
    ]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("rate", "multiplier", "points"),
    [
        ("1", "1.5", 14_999_999_999),
        ("9999.9999", "99.99", 9_998_999_900_000_001),
    ],
)
def test_the_largest_order_earns_its_exact_points(rate, multiplier, points):
    configure(points_per_currency_unit=Decimal(rate))
    _one_tier(multiplier)
    ann = customer()
    buy(ann, date(2025, 1, 10), "9999999999.99")

    result = loyalty_refresh(as_of=date(2025, 1, 10))

    assert (result.earned.entries, result.earned.points) == (1, points)
    assert list(PointsEntry.objects.values_list("kind", "points")) == [("earn", points)]
    assert PointsBalance.objects.get(customer=ann).balance == points
    again = loyalty_refresh(as_of=date(2025, 1, 11))
    assert (again.earned.entries, again.reversed.entries, again.expired.entries) == (0, 0, 0)


@pytest.mark.postgres
def test_a_year_of_the_largest_orders_still_evaluates_and_records_the_capped_spend():
    make_tiers()
    ann = customer()
    for day in range(101):  # 101 x 9,999,999,999.99: past what the history's column holds
        buy(ann, date(2025, 1, 1) + timedelta(days=day), "9999999999.99")

    result = loyalty_refresh(as_of=date(2025, 4, 30))

    change = LoyaltyTierChange.objects.get(customer=ann)
    assert change.to_tier is not None
    assert (change.to_tier.name, change.orders_12m) == ("Gold", 101)
    assert change.spend_12m == Decimal("999999999999.99")
    assert result.earned.points == 101 * 19_999_999_999  # x2 (Gold)


@pytest.mark.postgres
def test_earnings_stop_at_the_64_bit_limit_and_running_again_writes_nothing():
    _one_tier("1")
    ann = _balance_near_the_limit(room=100)
    first = buy(ann, date(2025, 1, 10), "40.00")  # 40 points, all fit
    second = buy(ann, date(2025, 1, 10), "99.00")  # 99 points, only 60 fit
    buy(ann, date(2025, 1, 10), "5.00")  # nothing left: no line, the order waits for room
    bob = customer()
    buy(bob, date(2025, 1, 10), "10.00")

    result = loyalty_refresh(as_of=date(2025, 1, 10))

    assert (result.earned.entries, result.earned.points) == (3, 40 + 60 + 10)
    earned = PointsEntry.objects.filter(customer=ann, kind="earn").order_by("order_id")
    assert list(earned.values_list("order_id", "points")) == [(first.pk, 40), (second.pk, 60)]
    assert PointsBalance.objects.get(customer=ann).balance == INT64_MAX
    assert PointsBalance.objects.get(customer=bob).balance == 10
    again = loyalty_refresh(as_of=date(2025, 1, 10))
    assert (again.earned.entries, again.earned.points) == (0, 0)


@pytest.mark.postgres
def test_an_earning_run_raced_past_its_check_is_redone_with_the_balances_locked(monkeypatch):
    ann = _balance_near_the_limit(room=5)
    buy(ann, date(2025, 1, 10), "40.00")
    # As if a staff adjustment had committed after the run's check: the check passes, the
    # balance update overflows, and the run starts again the careful way.
    checks = []
    real_check = points_module._balances_have_room

    def passes(staged_points: int, largest_balance: int) -> bool:
        checks.append(real_check(staged_points, largest_balance))
        return True

    monkeypatch.setattr(points_module, "_balances_have_room", passes)

    result = loyalty_refresh(as_of=date(2025, 1, 10))

    assert checks == [False]  # the careful run does not ask
    assert (result.earned.entries, result.earned.points) == (1, 5)
    assert PointsBalance.objects.get(customer=ann).balance == INT64_MAX


@pytest.mark.postgres
def test_215_adjustments_of_ten_million_through_the_page(make_staff):
    client = Client()
    client.force_login(make_staff("Support"))
    ann = customer()
    url = f"/customers/{ann.pk}/points/"

    for _ in range(215):
        response = client.post(url, {"action": "adjust", "points": "10000000", "reason": "bulk"})
        assert response.status_code == 302

    assert PointsBalance.objects.get(customer=ann).balance == 2_150_000_000
    assert PointsEntry.objects.filter(customer=ann, kind="adjust").count() == 215
    page = client.get(url.replace("points/", "")).content.decode()
    assert '<strong id="points-balance">2,150,000,000</strong>' in page


@pytest.mark.postgres
def test_an_adjustment_past_the_64_bit_limit_is_refused_and_writes_nothing(make_staff):
    client = Client()
    client.force_login(make_staff("Support"))
    ann = _balance_near_the_limit(room=9)

    response = client.post(
        f"/customers/{ann.pk}/points/",
        {"action": "adjust", "points": "10", "reason": "goodwill"},
        follow=True,
    )

    assert (
        "Points not changed: cannot add 10 points: the balance of 9,223,372,036,854,775,798 "
        "would pass the largest a balance can hold, 9,223,372,036,854,775,807."
    ) in response.content.decode()
    assert PointsBalance.objects.get(customer=ann).balance == INT64_MAX - 9
    assert list(PointsEntry.objects.values_list("points", flat=True)) == [INT64_MAX - 9]
    with pytest.raises(PointsError, match="cannot add 10 points: the balance of "):
        points_adjust(customer=ann, points=10, reason="goodwill")
    assert PointsEntry.objects.count() == 1
    entry = points_adjust(customer=ann, points=9, reason="exactly to the limit")
    assert entry.points == 9
    assert PointsBalance.objects.get(customer=ann).balance == INT64_MAX


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("١٢٣", "Points: Not a whole number."),
        ("²", "Points: Not a whole number."),
        ("1_000", "Points: Not a whole number."),
        ("99999999999999999999999", f"Points: Must be at most {MAX_POINTS}."),
        ("9" * 5000, "Points: Not a whole number."),
        ("10000001", f"Points: Must be at most {MAX_POINTS}."),
        ("-10000001", f"Points: Must be at least {-MAX_POINTS}."),
    ],
)
def test_the_points_form_takes_ascii_whole_numbers_within_range(make_staff, points, message):
    client = Client()
    client.force_login(make_staff("Support"))
    ann = customer()

    response = client.post(
        f"/customers/{ann.pk}/points/",
        {"action": "adjust", "points": points, "reason": "x"},
        follow=True,
    )

    assert f"Points not changed. {message}" in response.content.decode()
    assert not PointsEntry.objects.exists()
    assert not PointsBalance.objects.exists()
