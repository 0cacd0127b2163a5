"""The dashboard's charts: their reads (small, indexed) and their plotly figures.

Each chart says what it shows on its axes, with units; each is an HTML fragment that
``js/charts.js`` draws (``customers.charts.figure_html``).
"""

from dataclasses import dataclass
from datetime import date, datetime, time

import plotly.graph_objects as go
from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString

from campaigns.charts import Estimate, estimates_chart
from campaigns.models import ArmResult
from campaigns.selectors import variant_uplifts_latest
from clvcrm.workspace.dashboard import MonthPeriod
from customers.charts import chart_layout, figure_html
from customers.clv_runs.charts import predicted_clv_histogram
from customers.kpis import cohort_cumulative_revenue, cohort_retention, month_start, months_after
from customers.models import ClvRun, KpiCohort, KpiRunSummary, SegmentStatistic
from customers.segments.charts import segment_trend
from feedback.analytics import Period, nps_by_month
from feedback.charts import nps_trend_chart

TREND_MONTHS = 12
TREND_RUNS = 12
COHORTS = 12


@dataclass(frozen=True)
class CohortMatrix:
    """The heatmap's rows: cohort months (oldest first), their sizes and the matrices."""

    cohorts: list[date]
    sizes: list[int]
    retention: list[list[float | None]]
    revenue_per_customer: list[list[float | None]]


@dataclass(frozen=True)
class DashboardCharts:
    """The figures (HTML fragments; empty: nothing to draw yet) and what they link to."""

    histogram: str
    segments: str
    cohort_retention: str
    cohort_revenue: str
    nps_trend: str
    campaigns: str
    cohort_months: list[date]
    campaign_arms: list[ArmResult]


def dashboard_charts(period: MonthPeriod, summary: KpiRunSummary | None) -> DashboardCharts:
    """Every chart of the page for ``period``: six queries (runs, segment figures, cohort
    cells, NPS by month (two), campaign arms)."""
    cohorts = _cohorts(period)
    arms = variant_uplifts_latest(finished_since=_start_of(period))
    trend = Period(start=_months_before(period, TREND_MONTHS), end=period.end)
    return DashboardCharts(
        histogram=_histogram(summary),
        segments=_segments(),
        cohort_retention=_heatmap(cohorts) if cohorts.cohorts else "",
        cohort_revenue=_cumulative_revenue(cohorts) if cohorts.cohorts else "",
        nps_trend=_nps(trend),
        campaigns=_campaigns(arms),
        cohort_months=cohorts.cohorts,
        campaign_arms=arms,
    )


def _start_of(period: MonthPeriod) -> datetime:
    return timezone.make_aware(datetime.combine(period.start, time.min))


def _months_before(period: MonthPeriod, months: int) -> date:
    """The first day of the month ``months - 1`` before the period's last."""
    first = month_start(period.end)
    number = first.year * 12 + first.month - 1 - (months - 1)
    return first.replace(year=number // 12, month=number % 12 + 1)


def _histogram(summary: KpiRunSummary | None) -> str:
    if summary is None or not summary.histogram:
        return ""
    figure = predicted_clv_histogram(
        summary.histogram["edges"],
        summary.histogram["counts"],
        summary.histogram["overflow"],
        settings.SHOP_CURRENCY,
    )
    return figure_html(figure)


def _segments() -> str:
    runs = list(
        ClvRun.objects.filter(status=ClvRun.Status.SUCCEEDED).order_by("-finished_at")[:TREND_RUNS]
    )[::-1]
    if not runs:
        return ""
    stats = list(
        SegmentStatistic.objects.filter(run__in=[run.pk for run in runs])
        .select_related("segment")
        .order_by("segment__name")
    )
    if not stats:
        return ""
    return figure_html(segment_trend(runs, stats, metric="customers", y_title="Customers"))


def _cohorts(period: MonthPeriod) -> CohortMatrix:
    """The cohorts of the ``COHORTS`` months up to the period's end (one query)."""
    first = _months_before(period, COHORTS)
    cells = list(
        KpiCohort.objects.filter(cohort__gte=first, cohort__lte=month_start(period.end)).order_by(
            "cohort", "months_since"
        )
    )
    cohorts = sorted({cell.cohort for cell in cells})
    if not cohorts:
        return CohortMatrix([], [], [], [])
    width = months_after(cohorts[0], month_start(period.end)) + 1
    index = {cohort: row for row, cohort in enumerate(cohorts)}
    sizes = [0] * len(cohorts)
    ordered = [[0] * width for _ in cohorts]
    revenue = [[0.0] * width for _ in cohorts]
    observed = [min(width, months_after(c, month_start(period.end)) + 1) for c in cohorts]
    known = [0] * len(cohorts)
    for cell in cells:
        row = index[cell.cohort]
        sizes[row] = cell.size
        if cell.months_since < width:
            ordered[row][cell.months_since] = cell.ordering_customers
            revenue[row][cell.months_since] = float(cell.revenue)
            known[row] = max(known[row], cell.months_since + 1)
    observed = [min(o, k) for o, k in zip(observed, known, strict=True)]
    return CohortMatrix(
        cohorts=cohorts,
        sizes=sizes,
        retention=cohort_retention(sizes, ordered, observed),
        revenue_per_customer=cohort_cumulative_revenue(sizes, revenue, observed),
    )


def _cohort_labels(matrix: CohortMatrix) -> list[str]:
    return [
        f"{cohort:%Y-%m} ({size:,})"
        for cohort, size in zip(matrix.cohorts, matrix.sizes, strict=True)
    ]


def _heatmap(matrix: CohortMatrix) -> SafeString:
    """Cohorts (rows) by months since acquisition (columns): % who ordered."""
    width = len(matrix.retention[0])
    figure = go.Figure(
        go.Heatmap(
            z=matrix.retention,
            x=list(range(width)),
            y=_cohort_labels(matrix),
            colorscale="Blues",
            zmin=0,
            zmax=100,
            colorbar={"title": {"text": "% ordered"}},
            hovertemplate="%{y}, month %{x}: %{z:.1f}% ordered<extra></extra>",
            hoverongaps=False,
        )
    )
    chart_layout(
        figure,
        x_title="Months since acquisition (0: the acquisition month)",
        y_title="Cohort (acquisition month, customers)",
    )
    figure.update_layout(yaxis={"autorange": "reversed", "type": "category", "automargin": True})
    figure.update_layout(xaxis={"dtick": 1})
    return figure_html(figure)


def _cumulative_revenue(matrix: CohortMatrix) -> SafeString:
    currency = settings.SHOP_CURRENCY
    figure = go.Figure(
        [
            go.Scatter(
                x=list(range(len(values))),
                y=values,
                name=label,
                mode="lines+markers",
                hovertemplate=f"{label}, month %{{x}}: %{{y:,.2f}} {currency}<extra></extra>",
            )
            for label, values in zip(
                _cohort_labels(matrix), matrix.revenue_per_customer, strict=True
            )
        ]
    )
    chart_layout(
        figure,
        x_title="Months since acquisition (0: the acquisition month)",
        y_title=f"Revenue per customer ({currency})",
    )
    figure.update_layout(xaxis={"dtick": 1}, yaxis={"automargin": True})
    return figure_html(figure)


def _nps(trend: Period) -> str:
    months = nps_by_month(survey_id=None, period=trend)
    if not any(row.responses for row in months):
        return ""
    return nps_trend_chart(months)


def _campaigns(arms: list[ArmResult]) -> str:
    rows = [
        Estimate(
            f"{arm.computation.campaign.name} · {arm.variant.name if arm.variant else ''}",
            100 * arm.conversion_absolute,
            100 * arm.conversion_ci_low,
            100 * arm.conversion_ci_high,
        )
        for arm in arms
        if arm.conversion_absolute is not None
        and arm.conversion_ci_low is not None
        and arm.conversion_ci_high is not None
    ]
    if not rows:
        return ""
    return estimates_chart(
        rows,
        x_title="Conversion uplift vs holdout (points)",
    )
