"""Plotly figures of the campaign pages (drawn as ``customers.charts`` describes)."""

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from django.utils.safestring import SafeString

from campaigns.programme import ProgrammeComparison
from customers.charts import BRAND, MUTED, chart_layout, figure_html

HOLDOUT_NAME = "Holdout"
ESTIMATE_HEIGHT_PER_ROW = 56
ESTIMATE_MIN_HEIGHT = 200


@dataclass(frozen=True)
class Estimate:
    """One row of an interval chart: a difference and its confidence interval."""

    label: str
    value: float
    low: float
    high: float


def estimates_chart(rows: Sequence[Estimate], *, x_title: str) -> SafeString:
    """Each difference as a point with its interval as a bar, and the line of no effect:
    an interval that crosses it is not a significant difference at its level."""
    figure = go.Figure(
        go.Scatter(
            x=[row.value for row in rows],
            y=[row.label for row in rows],
            mode="markers",
            marker={"color": BRAND, "size": 10},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [row.high - row.value for row in rows],
                "arrayminus": [row.value - row.low for row in rows],
                "color": BRAND,
                "thickness": 2,
                "width": 6,
            },
            hovertemplate="%{y}: %{x:.4g}<extra></extra>",
            showlegend=False,
        )
    )
    figure.add_vline(x=0, line={"color": MUTED, "dash": "dash", "width": 1})
    chart_layout(figure, x_title=x_title, y_title="")
    figure.update_layout(
        height=max(ESTIMATE_MIN_HEIGHT, ESTIMATE_HEIGHT_PER_ROW * len(rows) + 96),
        yaxis={"autorange": "reversed", "automargin": True},
    )
    return figure_html(figure)


def programme_chart(comparison: ProgrammeComparison) -> SafeString:
    """The programme's difference in revenue per customer against the control, with its
    Welch and bootstrap intervals (95%)."""
    revenue = comparison.revenue
    assert revenue is not None  # the page draws it only when both groups have customers
    return estimates_chart(
        [
            Estimate("Welch's t", revenue.absolute, revenue.ci_low, revenue.ci_high),
            Estimate("Bootstrap", revenue.absolute, revenue.bootstrap_low, revenue.bootstrap_high),
        ],
        x_title="Difference in revenue per customer (programme − control), with 95% interval",
    )


@dataclass(frozen=True)
class Curve:
    """One arm's values by day since assignment."""

    name: str
    values: list[float]


def curves_chart(curves: Sequence[Curve], *, y_title: str, percent: bool = False) -> SafeString:
    """Each arm's cumulative figure by day since assignment, one line per arm."""
    figure = go.Figure()
    for curve in curves:
        figure.add_trace(
            go.Scatter(
                x=list(range(1, len(curve.values) + 1)),
                y=curve.values,
                mode="lines+markers",
                name=curve.name,
                line={"dash": "dash" if curve.name == HOLDOUT_NAME else "solid"},
                hovertemplate=f"{curve.name}, day %{{x}}: %{{y:{'.1%' if percent else ',.2f'}}}"
                "<extra></extra>",
            )
        )
    chart_layout(figure, x_title="Days since assignment", y_title=y_title)
    figure.update_layout(
        xaxis={"dtick": 1 if len(curves[0].values) <= 14 else None} if curves else {},
        yaxis={"tickformat": ".0%" if percent else ",.2f", "rangemode": "tozero"},
    )
    return figure_html(figure)
