"""Staff pages of the CLV model: what the latest run fitted, how it did, and the export."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from clvcrm.core.csv_export import csv_download
from clvcrm.core.decorators import staff_required
from customers import charts
from customers.clv_runs import charts as clv_charts
from customers.clv_runs import selectors
from customers.clv_runs.run import STAGES
from customers.models import ClvRun

# A fanned-out run scores and writes on the workers, then swaps the staged scores in.
FAN_OUT_STAGES = {"parts": "score + write (workers)", "swap": "swap in"}


@dataclass(frozen=True)
class Parameter:
    """One fitted parameter group and what it means in plain words."""

    name: str
    value: str
    meaning: str


@staff_required("customers.view_customer")
def model_page(request: HttpRequest) -> HttpResponse:
    """The latest run's model and timings, its predicted-CLV distribution, the back-test."""
    run = selectors.clv_run_latest_succeeded()
    backtest = selectors.clv_backtest_latest()
    histogram = selectors.predicted_clv_histogram(run) if run is not None else None
    context: dict[str, Any] = {
        "run": run,
        "runs": selectors.clv_runs_recent(),
        "parameters": _parameters(run) if run is not None else [],
        "timings": _timings(run.seconds) if run is not None else [],
        "histogram": histogram,
        "histogram_chart": _histogram_chart(histogram),
        "backtest": backtest,
        "backtest_chart": charts.figure_html(clv_charts.backtest_tracking(backtest))
        if backtest is not None and backtest.weekly
        else "",
    }
    return render(request, "customers/model.html", context)


@staff_required("customers.export_customer")
def score_export(request: HttpRequest) -> StreamingHttpResponse:
    """Every scored customer's figures as a streamed CSV (the same as ``export_scores``)."""
    return csv_download(
        "customer-scores.csv",
        selectors.SCORE_EXPORT_COLUMNS,
        selectors.customer_score_export_rows(),
    )


def _histogram_chart(histogram: selectors.Histogram | None) -> str:
    if histogram is None:
        return ""
    figure = clv_charts.predicted_clv_histogram(
        histogram.edges, histogram.counts, histogram.overflow, settings.SHOP_CURRENCY
    )
    return charts.figure_html(figure)


def _parameters(run: ClvRun) -> list[Parameter]:
    """The fitted parameters, each group with one line a shop owner can read."""
    rows: list[Parameter] = []
    unit = "week" if run.time_unit == ClvRun.TimeUnit.WEEKS else "day"
    if run.r is not None and run.alpha is not None:
        rows.append(
            Parameter(
                "r, alpha",
                f"{run.r:.4f}, {run.alpha:.4f} ({unit}s)",
                f"Purchase rate while active: on average r/alpha = {run.r / run.alpha:.3f} "
                f"purchases per {unit}; the smaller r, the more customers differ.",
            )
        )
    if run.a is not None and run.b is not None:
        rows.append(
            Parameter(
                "a, b",
                f"{run.a:.4f}, {run.b:.4f}",
                f"Chance of dropping out after a purchase: on average a/(a+b) = "
                f"{run.a / (run.a + run.b):.1%}.",
            )
        )
    if run.gg_p is not None and run.gg_q is not None and run.gg_gamma is not None:
        mean = run.gg_p * run.gg_gamma / (run.gg_q - 1) if run.gg_q > 1 else None
        average = f"{mean:,.2f} {settings.SHOP_CURRENCY}" if mean is not None else "unbounded"
        rows.append(
            Parameter(
                "p, q, gamma",
                f"{run.gg_p:.4f}, {run.gg_q:.4f}, {run.gg_gamma:.4f}",
                f"Spend per purchase (Gamma-Gamma): the average customer's order value is "
                f"p·gamma/(q−1) = {average}; a customer's own history pulls it up or down.",
            )
        )
    return rows


def _timings(seconds: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the timings table: stage, seconds and share of the run's total."""
    labels = {**{stage: stage for stage in STAGES}, **FAN_OUT_STAGES}
    total = float(seconds.get("total") or sum(float(seconds.get(s, 0)) for s in labels) or 1)
    return [
        {
            "stage": label,
            "seconds": float(seconds[stage]),
            "percent": 100 * seconds[stage] / total,
        }
        for stage, label in labels.items()
        if stage in seconds
    ]
