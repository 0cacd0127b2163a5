"""The retention programme's incrementality: everyone else against the global control group."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from campaigns.programme import ProgrammeComparison, programme_compare


def programme_comparison(*, first_day: date, last_day: date) -> ProgrammeComparison:
    """Compare revenue per customer and retention over the days ``first_day`` to
    ``last_day`` inclusive (the shop's time zone) between the programme's customers and
    the global control group; see ``campaigns.programme``."""
    if last_day < first_day:
        raise ValueError("the period's last day is before its first")
    return programme_compare(start=_midnight(first_day), end=_midnight(last_day + timedelta(1)))


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
