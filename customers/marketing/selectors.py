"""Reads of marketing spend: a year's grid, the API's list, and the acquisition cost of a
period per channel (CAC, CLV:CAC, payback) that the marketing page and the dashboard show.

How a period counts (written on the page too):

- **Spend**: each month's spend counts in proportion to its days inside the period
  (:func:`customers.kpis.periods.prorated`); whole months count whole. The sum is rounded
  half-up to cents once. A channel with no spend entered for any month the period touches
  has no spend (``None``: unknown), which is not the same as a recorded 0.
- **Customers acquired**: customers whose ``acquired_on`` lies in the period, by their
  acquisition channel; those without one form the "no channel" row.
- **Value**: historical CLV (spent so far) plus predicted CLV, both from the latest
  successful CLV run (the run's margin applied to both). A customer acquired by the run's
  as-of day without a score had no completed order then: they count, with value 0. Customers
  acquired after it are not valued yet and are left out of the average.
- **Payback months**: CAC ÷ the monthly margin of an acquired customer, taken as their
  average predicted CLV ÷ the run's horizon in months (what they are expected to bring per
  month from now on; the discount makes it slightly conservative).
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from customers.kpis import (
    clv_to_cac_ratio,
    customer_acquisition_cost,
    month_end,
    month_start,
    payback_months,
    prorated,
)
from customers.models import AcquisitionChannel, ClvRun, Customer, KpiMonth, MarketingSpend

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ChannelAcquisition:
    """One row of the CAC table: a channel (``None``: the customers without one, or every
    channel together in the total row), its spend and what it bought."""

    channel: AcquisitionChannel | None
    spend: Decimal | None
    customers: int
    valued_customers: int
    average_value: Decimal | None
    cac: Decimal | None
    clv_to_cac: float | None
    payback_months: float | None


@dataclass(frozen=True)
class AcquisitionCosts:
    """The CAC table of a period: one row per channel (all of them, by name), the "no
    channel" row, the total (blended CAC: all spend over all customers acquired), and the
    CLV run whose scores value the customers (``None``: no run yet)."""

    start: date
    end: date
    rows: list[ChannelAcquisition]
    no_channel: ChannelAcquisition
    total: ChannelAcquisition
    run: ClvRun | None


@dataclass(frozen=True)
class _Bought:
    customers: int = 0
    valued: int = 0
    value: Decimal = ZERO
    predicted: Decimal = ZERO


def acquisition_costs(start: date, end: date) -> AcquisitionCosts:
    """CAC, CLV:CAC and payback per acquisition channel for ``[start, end]``.

    Four queries whatever the number of channels and customers: the latest successful run,
    the channels, the spend of the months the period touches, the customers acquired in it
    grouped by channel (one aggregate over the ``acquired_on`` index, joined to the scores).
    """
    run = _latest_run()
    return _costs(start, end, run, _spend(start, end), _bought(start, end, run))


def acquisition_costs_of_months(start: date, end: date) -> AcquisitionCosts:
    """:func:`acquisition_costs` for the whole months from ``start``'s to ``end``'s, read
    from the dashboard's monthly aggregates (``KpiMonth``: the customers acquired in each
    month and channel, as the latest CLV run values them) instead of the customers and
    their scores: four queries on small tables whatever the shop's size and the period's
    length. The figures are those of the last aggregate refresh."""
    first, last = month_start(start), month_start(end)
    run = _latest_run()
    spend = _spend(first, month_end(last))
    groups = (
        KpiMonth.objects.filter(month__gte=first, month__lte=last)
        .values("channel_id")
        .annotate(
            customers=Sum("new_customers"),
            valued=Sum("valued_customers"),
            value=Sum("value_total"),
            predicted=Sum("predicted_total"),
        )
        .order_by()
    )
    bought: dict[int | None, _Bought] = {
        group["channel_id"]: _Bought(
            group["customers"] or 0,
            group["valued"] or 0,
            group["value"] or ZERO,
            group["predicted"] or ZERO,
        )
        for group in groups
    }
    return _costs(first, month_end(last), run, spend, bought)


def _latest_run() -> ClvRun | None:
    """The run whose scores value the customers (the latest successful one)."""
    return ClvRun.objects.filter(status=ClvRun.Status.SUCCEEDED).order_by("-finished_at").first()


def _costs(
    start: date,
    end: date,
    run: ClvRun | None,
    spend: dict[int, Decimal],
    bought: dict[int | None, _Bought],
) -> AcquisitionCosts:
    """The table of ``[start, end]``: a row per channel (one query for the channels), the
    customers without one, and all channels blended."""
    channels = AcquisitionChannel.objects.order_by("name")
    rows = [_row(c, spend.get(c.pk), bought.get(c.pk, _Bought()), run) for c in channels]
    no_channel = _row(None, None, bought.get(None, _Bought()), run)
    entered = list(spend.values())
    total_spend = sum(entered, ZERO) if entered else None
    total = _row(None, total_spend, _sum(list(bought.values())), run)
    return AcquisitionCosts(start, end, rows, no_channel, total, run)


def _spend(start: date, end: date) -> dict[int, Decimal]:
    """Each channel's spend in the period (prorated months), rounded to cents."""
    months = MarketingSpend.objects.filter(month__gte=month_start(start), month__lte=end)
    sums: dict[int, Decimal] = {}
    for month, channel, amount in months.values_list("month", "channel_id", "amount"):
        sums[channel] = sums.get(channel, ZERO) + prorated(amount, month, start, end)
    return {channel: _cents(total) for channel, total in sums.items()}


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _bought(start: date, end: date, run: ClvRun | None) -> dict[int | None, _Bought]:
    """Per channel id (``None``: no channel): customers acquired in the period, how many of
    them are valued, the sum of their values and of their predicted CLV."""
    money = DecimalField(max_digits=18, decimal_places=2)
    # Scores exist only after a successful run: without one, nobody is valued.
    valued = Q(score__isnull=False)
    if run is not None:
        valued |= Q(acquired_on__lte=run.as_of)
    historical = Coalesce(F("score__historical_clv"), Value(ZERO), output_field=money)
    predicted = Coalesce(F("score__predicted_clv"), Value(ZERO), output_field=money)
    groups = (
        Customer.objects.filter(acquired_on__gte=start, acquired_on__lte=end)
        .values("acquisition_channel_id")
        .annotate(
            customers=Count("pk"),
            valued=Count("pk", filter=valued),
            value=Sum(historical + predicted, filter=valued, output_field=money),
            predicted=Sum(predicted, filter=valued, output_field=money),
        )
        .order_by()
    )
    return {
        group["acquisition_channel_id"]: _Bought(
            group["customers"], group["valued"], group["value"] or ZERO, group["predicted"] or ZERO
        )
        for group in groups
    }


def _sum(parts: list[_Bought]) -> _Bought:
    return _Bought(
        sum(p.customers for p in parts),
        sum(p.valued for p in parts),
        sum((p.value for p in parts), ZERO),
        sum((p.predicted for p in parts), ZERO),
    )


def _row(
    channel: AcquisitionChannel | None, spend: Decimal | None, bought: _Bought, run: ClvRun | None
) -> ChannelAcquisition:
    cac = customer_acquisition_cost(spend=spend, customers_acquired=bought.customers)
    average = monthly = None
    if run is not None and run.has_prediction and bought.valued:
        average = _cents(bought.value / bought.valued)
        monthly = bought.predicted / bought.valued / run.horizon_months
    return ChannelAcquisition(
        channel=channel,
        spend=spend,
        customers=bought.customers,
        valued_customers=bought.valued,
        average_value=average,
        cac=cac,
        clv_to_cac=clv_to_cac_ratio(clv=average, cac=cac),
        payback_months=payback_months(cac=cac, monthly_margin=monthly),
    )


def spend_of_year(year: int) -> dict[tuple[date, int], Decimal]:
    """The amounts entered for the months of ``year``, by (month, channel id): one query."""
    rows = MarketingSpend.objects.filter(
        month__gte=date(year, 1, 1), month__lte=date(year, 12, 1)
    ).values_list("month", "channel_id", "amount")
    return {(month, channel): amount for month, channel, amount in rows}


def spend_listed(
    *, start: date | None = None, end: date | None = None, channel: str | None = None
) -> QuerySet[MarketingSpend]:
    """Spend rows for the API, with their channel and editor, between two months (both
    included) and of one channel (by exact name) when given."""
    rows = MarketingSpend.objects.select_related("channel", "updated_by")
    if start is not None:
        rows = rows.filter(month__gte=start)
    if end is not None:
        rows = rows.filter(month__lte=end)
    if channel is not None:
        rows = rows.filter(channel__name=channel)
    return rows
