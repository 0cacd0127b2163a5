"""Calendar months, and how a month's figure counts in a period that cuts it.

Spend is recorded per calendar month; a period can start or end inside one. A month counts
in proportion to its days inside the period: the period 15 January to 14 February takes
17/31 of January's spend and 14/28 (in 2025) of February's; whole months count whole.
"""

import calendar
from datetime import date
from decimal import Decimal
from fractions import Fraction


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_in(start: date, end: date) -> list[date]:
    """The first days of the months that ``[start, end]`` touches, in order (none if
    ``start > end``)."""
    months = []
    month = month_start(start)
    while month <= end:
        months.append(month)
        month = _next_month(month)
    return months


def months_after(acquired: date, day: date) -> int:
    """Calendar months from ``acquired``'s month to ``day``'s: 0 in the same month, 1 in the
    next (a cohort's month index k), negative before."""
    return (day.year - acquired.year) * 12 + day.month - acquired.month


def month_share(month: date, start: date, end: date) -> Fraction:
    """The share of ``month``'s days (any day of it names it) inside ``[start, end]``,
    between 0 and 1 exactly."""
    first, last = month_start(month), month_end(month)
    inside = (min(last, end) - max(first, start)).days + 1
    if inside <= 0:
        return Fraction(0)
    return Fraction(inside, last.day)


def prorated(amount: Decimal, month: date, start: date, end: date) -> Decimal:
    """``amount`` (a month's figure) times :func:`month_share`, unrounded: sum a period's
    months first, round the sum once."""
    share = month_share(month, start, end)
    return amount * share.numerator / share.denominator


def _next_month(month: date) -> date:
    if month.month == 12:
        return date(month.year + 1, 1, 1)
    return date(month.year, month.month + 1, 1)
