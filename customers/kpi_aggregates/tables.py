"""The aggregate rows from the event counts, and their replacement in one transaction.

The months run from the first month with an event (an acquisition or an order) to the
as-of day's month, for every channel that has one. The active base and the buyers to date
are running sums of their events (events after the as-of month are changes still to come,
left out); the rest are the month's own counts. The tables are small (months × channels),
so a refresh deletes and inserts them whole inside the caller's transaction: readers see
the old rows until it commits.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from customers.kpi_aggregates.events import Event, month_number, month_of_number
from customers.models import KpiCohort, KpiLapse, KpiMonth

CENT = Decimal("0.01")
BATCH = 2_000


@dataclass
class _Month:
    new: int = 0
    ordering: int = 0
    repeat: int = 0
    orders: int = 0
    revenue: Decimal = Decimal(0)
    first_orders: int = 0
    second_orders: int = 0
    starts: int = 0
    stops: int = 0
    lost: int = 0
    valued: int = 0
    value: Decimal = Decimal(0)
    predicted: Decimal = Decimal(0)


@dataclass
class Aggregates:
    """The rows to write: months, lapses, cohort cells."""

    months: list[KpiMonth] = field(default_factory=list)
    lapses: list[KpiLapse] = field(default_factory=list)
    cohorts: list[KpiCohort] = field(default_factory=list)


def aggregates_from_events(rows: Iterable[Event], *, as_of: date) -> Aggregates:
    """Dense month rows per channel, the lapse rows and the cohort matrix's cells."""
    last = month_number(as_of)
    months: dict[int | None, dict[int, _Month]] = defaultdict(lambda: defaultdict(_Month))
    cohorts: dict[tuple[int, int], tuple[int, Decimal]] = {}
    out = Aggregates()
    for kind, month, channel, since, other, n1, n2, n3, n4, money in rows:
        if month > last:  # a change still to come
            continue
        if kind == "cohort":
            cohorts[(month, int(other or 0))] = (n1, _money(money))
            continue
        cell = months[channel][month]
        if kind == "activity":
            cell.ordering, cell.orders, cell.repeat, cell.first_orders = n1, n2, n3, n4
            cell.second_orders, cell.revenue = int(other or 0), _money(money)
        elif kind == "start":
            cell.starts = n1
        elif kind == "stop":
            cell.stops = n1
        elif kind == "lapse":
            cell.lost += n1
            out.lapses.append(_lapse(month, channel, since, other, n1))
        elif kind == "new":
            cell.new = n1
        elif kind == "valued":
            cell.valued, cell.value = n1, _money(money)
        elif kind == "predicted":
            cell.predicted = _money(money)
    out.months = _month_rows(months, last)
    out.cohorts = _cohort_rows(months, cohorts, last)
    return out


def aggregates_replace(aggregates: Aggregates) -> None:
    """Delete the old rows and insert ``aggregates`` (inside the caller's transaction)."""
    KpiMonth.objects.all().delete()
    KpiLapse.objects.all().delete()
    KpiCohort.objects.all().delete()
    KpiMonth.objects.bulk_create(aggregates.months, batch_size=BATCH)
    KpiLapse.objects.bulk_create(aggregates.lapses, batch_size=BATCH)
    KpiCohort.objects.bulk_create(aggregates.cohorts, batch_size=BATCH)


def _month_rows(months: dict[int | None, dict[int, _Month]], last: int) -> list[KpiMonth]:
    starts = [m for cells in months.values() for m, c in cells.items() if m <= last and _any(c)]
    if not starts:
        return []
    first = min(starts)
    rows = []
    for channel, cells in sorted(months.items(), key=lambda item: (item[0] is None, item[0])):
        base = buyers = repeat_buyers = 0
        for number in range(first, last + 1):
            cell = cells.get(number, _Month())
            base += cell.starts - cell.stops
            buyers += cell.first_orders
            repeat_buyers += cell.second_orders
            rows.append(
                KpiMonth(
                    month=month_of_number(number),
                    channel_id=channel,
                    new_customers=cell.new,
                    ordering_customers=cell.ordering,
                    repeat_customers=cell.repeat,
                    orders=cell.orders,
                    revenue=cell.revenue,
                    buyers_to_date=buyers,
                    repeat_buyers_to_date=repeat_buyers,
                    customers_at_end=base,
                    lost=cell.lost,
                    valued_customers=cell.valued,
                    value_total=cell.value,
                    predicted_total=cell.predicted,
                )
            )
    return rows


def _any(cell: _Month) -> bool:
    return bool(cell.new or cell.ordering or cell.starts)


def _cohort_rows(
    months: dict[int | None, dict[int, _Month]],
    cells: dict[tuple[int, int], tuple[int, Decimal]],
    last: int,
) -> list[KpiCohort]:
    """Every known cell (months 0 .. the as-of month) of every cohort with customers."""
    sizes: dict[int, int] = defaultdict(int)
    for channel_cells in months.values():
        for number, cell in channel_cells.items():
            sizes[number] += cell.new
    rows = []
    for cohort in sorted(number for number, size in sizes.items() if size and number <= last):
        for since in range(last - cohort + 1):
            ordering, revenue = cells.get((cohort, since), (0, Decimal("0.00")))
            rows.append(
                KpiCohort(
                    cohort=month_of_number(cohort),
                    months_since=since,
                    size=sizes[cohort],
                    ordering_customers=ordering,
                    revenue=revenue,
                )
            )
    return rows


def _lapse(month: int, channel: int | None, since: Any, returned: Any, n: int) -> KpiLapse:
    return KpiLapse(
        month=month_of_number(month),
        since=month_of_number(int(since)),
        returned=None if returned is None else month_of_number(int(returned)),
        channel_id=channel,
        customers=n,
    )


def _money(value: Any) -> Decimal:
    """A sum from the database (a Decimal, or a float on SQLite) in cents."""
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)
