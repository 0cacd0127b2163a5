"""The demo shop's past: a CLV run and a reassignment as of each month end, dated then."""

from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.demo.history import TRIGGERED_BY, month_ends
from customers.demo.spend import COST_PER_CUSTOMER
from customers.models import ClvRun, Customer, MarketingSpend, SegmentStatistic, SegmentTransition

pytestmark = pytest.mark.django_db


def test_month_ends_are_the_last_days_of_the_full_months_before_this_one():
    assert month_ends(months=3, today=date(2026, 3, 15)) == [
        date(2025, 12, 31),
        date(2026, 1, 31),
        date(2026, 2, 28),
    ]
    assert month_ends(months=1, today=date(2026, 3, 1)) == [date(2026, 2, 28)]


def test_the_history_is_written_once_dated_at_its_month_ends(settings):
    settings.CLV_MIN_REPEAT_CUSTOMERS = 50
    today = timezone.localdate()
    call_command("seed_demo", "--customers", "400", "--seed", "5", stdout=StringIO())

    out = StringIO()
    call_command("seed_demo_history", "--months", "3", stdout=out)
    again = StringIO()
    call_command("seed_demo_history", "--months", "3", stdout=again)

    runs = list(ClvRun.objects.filter(triggered_by=TRIGGERED_BY).order_by("as_of"))
    assert [run.as_of for run in runs] == month_ends(months=3, today=today)
    for run in runs:
        expected = timezone.make_aware(datetime.combine(run.as_of + timedelta(days=1), time(2, 30)))
        assert (run.status, run.created_at, run.started_at) == ("succeeded", expected, expected)
        segmented = SegmentStatistic.objects.filter(run=run, segment__kind="default")
        # Exactly the customers the shop had by then are segmented, never a later one.
        had = Customer.objects.filter(acquired_on__lte=run.as_of).count()
        assert sum(segmented.values_list("customers", flat=True)) == had
        assert 0 < had < 400
    assert not SegmentTransition.objects.filter(processed_at__isnull=True).exists()
    assert "3 past CLV runs written." in out.getvalue()
    assert "The demo history is there already." in again.getvalue()
    # A month's spend per paid channel that won customers then; none for direct visits.
    ends = month_ends(months=3, today=today)
    paid = (
        Customer.objects.filter(
            acquired_on__gte=ends[0].replace(day=1),
            acquired_on__lte=ends[-1],
            acquisition_channel__name__in=COST_PER_CUSTOMER,
        )
        .values_list("acquired_on__year", "acquired_on__month", "acquisition_channel")
        .distinct()
        .count()
    )
    assert MarketingSpend.objects.count() == paid > 0
    assert not MarketingSpend.objects.filter(channel__name="Direct").exists()
    assert f"Marketing spend: {paid} months and channels entered." in out.getvalue()
    assert "Marketing spend: 0 months and channels entered." in again.getvalue()
    assert ClvRun.objects.count() == 3
