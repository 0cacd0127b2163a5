"""The programme page: everyone else against the global control group, over a period."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.assignment import in_global_control
from campaigns.services.programme import programme_comparison
from campaigns.statistics import means_compare, proportions_compare
from customers.models import Customer, Order
from tests.campaigns.builders import customers_made

FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)


def _at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def _order(customer: Customer, day: date, total: str, *, hour: int = 12, **fields) -> Order:
    return Order.objects.create(
        external_id=f"O-{customer.pk}-{day}-{hour}-{total}",
        customer=customer,
        placed_at=_at(day, hour),
        total=Decimal(total),
        currency="USD",
        **fields,
    )


@pytest.fixture
def shop(settings) -> list[Customer]:
    """60 customers who bought before March; every third buys again in it (20.00, one of
    them partly refunded), and some orders that must not count."""
    settings.CAMPAIGN_GLOBAL_CONTROL_PERCENT = 40
    customers = customers_made(60)
    for number, customer in enumerate(customers):
        _order(customer, date(2026, 1, 10), "50.00")
        if number % 3 == 0:
            refunded = Decimal("5.00") if number == 0 else Decimal("0")
            _order(customer, date(2026, 3, 15), "20.00", refunded_amount=refunded)
    newcomer = customers_made(1, prefix="N")[0]
    _order(newcomer, date(2026, 3, 2), "99.00")  # first order in the period: not compared
    _order(customers[1], date(2026, 4, 1), "70.00", hour=0)  # the day after the period
    _order(customers[2], date(2026, 3, 20), "30.00", status=Order.Status.CANCELLED)
    return customers


@pytest.mark.django_db
def test_the_groups_follow_the_hash_and_their_figures_are_exact(shop):
    comparison = programme_comparison(first_day=FIRST, last_day=LAST)

    control = [c for c in shop if in_global_control(c.pk)]
    treated = [c for c in shop if not in_global_control(c.pk)]
    assert control
    assert treated
    revenue = {c.pk: 0.0 for c in shop}
    for number, customer in enumerate(shop):
        if number % 3 == 0:
            revenue[customer.pk] = 15.0 if number == 0 else 20.0
    for side, members in ((comparison.treated, treated), (comparison.control, control)):
        assert side.customers == len(members)
        assert side.revenue == Decimal(f"{sum(revenue[c.pk] for c in members):.2f}")
        assert side.retained == sum(1 for c in members if revenue[c.pk] > 0)
        assert side.revenue_per_customer == pytest.approx(
            sum(revenue[c.pk] for c in members) / len(members)
        )
    expected_revenue = means_compare(
        np.array([revenue[c.pk] for c in treated]),
        np.array([revenue[c.pk] for c in control]),
        resamples=1000,
        seed=0,
    )
    assert comparison.revenue == expected_revenue
    assert comparison.retention == proportions_compare(
        comparison.treated.retained,
        comparison.treated.customers,
        comparison.control.retained,
        comparison.control.customers,
    )
    assert comparison.control_percent == 40


@pytest.mark.django_db
def test_without_a_control_group_nothing_is_compared(shop, settings):
    settings.CAMPAIGN_GLOBAL_CONTROL_PERCENT = 0

    comparison = programme_comparison(first_day=FIRST, last_day=LAST)

    assert comparison.control.customers == 0
    assert comparison.treated.customers == 60
    assert comparison.revenue is None
    assert comparison.retention is None


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="last day is before its first"):
        programme_comparison(first_day=LAST, last_day=FIRST)


@pytest.mark.django_db
def test_the_page_shows_both_groups_and_the_interval_chart(shop, analyst_client):
    response = analyst_client.get(
        reverse("campaigns:programme"), {"first_day": FIRST, "last_day": LAST}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="programme"' in html
    assert 'id="uplift"' in html
    assert "Global control (40%)" in html
    assert 'class="plotly-graph-div"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"first_day": "2026-03-31", "last_day": "2026-03-01"},
        {"first_day": "not a date", "last_day": "2026-03-01"},
        {"first_day": "2020-01-01", "last_day": "2026-03-01"},
        {"first_day": "99999-01-01", "last_day": "2026-03-01"},
    ],
)
def test_a_bad_period_is_a_form_error_not_a_500(query, analyst_client):
    response = analyst_client.get(reverse("campaigns:programme"), query)

    assert response.status_code == 200
    assert response.context["comparison"] is None
    assert response.context["form"].errors


@pytest.mark.django_db
def test_the_page_says_when_there_is_no_control_group(analyst_client, settings):
    settings.CAMPAIGN_GLOBAL_CONTROL_PERCENT = 0
    today = timezone.localdate()

    response = analyst_client.get(
        reverse("campaigns:programme"),
        {"first_day": today - timedelta(days=30), "last_day": today},
    )

    assert 'id="no-control"' in response.content.decode()


@pytest.mark.django_db
def test_the_page_needs_a_staff_login(client):
    response = client.get(reverse("campaigns:programme"))

    assert response.status_code == 302
