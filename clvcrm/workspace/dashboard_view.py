"""The dashboard: the home page after login."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clvcrm.core.decorators import staff_required
from clvcrm.workspace.dashboard import dashboard_figures
from clvcrm.workspace.dashboard_charts import dashboard_charts
from clvcrm.workspace.dashboard_period import MonthPeriodForm, default_period, period_presets


@staff_required("customers.view_customer")
def dashboard(request: HttpRequest) -> HttpResponse:
    """Customers, value, acquisition cost, retention, churn and NPS of a period of months
    (default: the last full month), with their charts; every figure from the aggregates."""
    today = timezone.localdate()
    period = default_period(today)
    asked = "start" in request.GET or "end" in request.GET
    form = MonthPeriodForm(
        request.GET if asked else {"start": f"{period.start:%Y-%m}", "end": f"{period.end:%Y-%m}"}
    )
    if form.is_valid():
        period = form.period()
    figures = dashboard_figures(period)
    context: dict[str, Any] = {
        "form": form,
        "figures": figures,
        "costs": figures.costs,
        "charts": dashboard_charts(period, figures.summary),
        "presets": [
            (label, f"{p.start:%Y-%m}", f"{p.end:%Y-%m}")
            for label, p in period_presets(today).items()
        ],
        "start_month": f"{period.start:%Y-%m}",
        "end_month": f"{period.end:%Y-%m}",
        "window_months": settings.KPI_CUSTOMER_WINDOW_MONTHS,
    }
    return render(request, "workspace/dashboard.html", context)
