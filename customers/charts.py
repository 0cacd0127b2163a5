"""Plotly figures of the staff pages, built in Python and embedded as HTML fragments.

The page loads plotly.min.js from our own static files (``vendor/plotly/``) and
``js/charts.js`` draws each fragment, so a fragment carries only its data and layout:
nothing is downloaded from elsewhere and no inline script runs, as the pages'
Content-Security-Policy wants.
"""

import json
from collections.abc import Sequence
from itertools import pairwise
from uuid import uuid4

import plotly.graph_objects as go
import plotly.io
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString

from customers.models import ClvBacktest

BRAND = "#3b5bdb"
INK = "#1d2433"
MUTED = "#667085"
GRID = "#e4e7ec"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif'
CHART_HEIGHT = 320
CONFIG = {"displayModeBar": False, "responsive": True}


def figure_html(figure: go.Figure) -> SafeString:
    """The figure as an empty ``<div>`` and its JSON, which ``js/charts.js`` draws.

    Pages with charts include ``partials/chart_scripts.html``. The JSON stands in a
    ``<script type="application/json">`` (escaped as ``json_script`` does), which browsers
    never run.
    """
    element_id = f"chart-{uuid4().hex}"
    figure_json = json.loads(plotly.io.to_json(figure))
    return format_html(
        '<div class="plotly-graph-div" data-figure="{}"></div>{}',
        element_id,
        json_script({**figure_json, "config": CONFIG}, element_id),
    )


def _layout(figure: go.Figure, *, x_title: str, y_title: str) -> go.Figure:
    # The "none" template keeps each fragment small; the page's look is set here instead.
    axis = {"gridcolor": GRID, "linecolor": GRID, "zeroline": False, "tickfont": {"color": MUTED}}
    figure.update_layout(
        template="none",
        height=CHART_HEIGHT,
        margin={"l": 64, "r": 16, "t": 16, "b": 48},
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": FONT, "size": 13, "color": INK},
        hoverlabel={"font": {"family": FONT}},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        xaxis={**axis, "title": {"text": x_title, "font": {"color": MUTED}}},
        yaxis={**axis, "title": {"text": y_title, "font": {"color": MUTED}}},
    )
    return figure


def predicted_clv_histogram(
    edges: Sequence[float], counts: Sequence[int], overflow: int, currency: str
) -> go.Figure:
    """Customers per predicted-CLV bin; ``overflow`` customers at or above the last edge.

    edges: bin edges in currency (len(counts) + 1); the last edge is the clip point
    (the 99th percentile), so the long tail shows as one bar instead of squashing the rest.
    """
    width = edges[1] - edges[0]
    centres = [left + width / 2 for left in edges[:-1]]
    labels = [f"{left:,.2f}–{right:,.2f} {currency}" for left, right in pairwise(edges)]
    figure = go.Figure(
        go.Bar(
            x=centres,
            y=list(counts),
            width=width * 0.92,
            marker_color=BRAND,
            customdata=labels,
            hovertemplate="%{customdata}<br>%{y:,} customers<extra></extra>",
            name="customers",
        )
    )
    if overflow:
        figure.add_trace(
            go.Bar(
                x=[edges[-1] + width],
                y=[overflow],
                width=width * 0.92,
                marker_color="#8da2fb",
                hovertemplate=f"≥ {edges[-1]:,.2f} {currency}<br>%{{y:,}} customers<extra></extra>",
                name="top 1% (clipped)",
            )
        )
    figure.update_layout(showlegend=bool(overflow), bargap=0)
    return _layout(figure, x_title=f"Predicted CLV ({currency})", y_title="Customers")


def backtest_tracking(backtest: ClvBacktest) -> go.Figure:
    """Weekly cumulative repeat transactions, actual vs predicted (Figure 2 of the 2005 paper)."""
    weeks = [point["week"] for point in backtest.weekly]
    figure = go.Figure(
        [
            go.Scatter(
                x=weeks,
                y=[point["actual_cumulative"] for point in backtest.weekly],
                name="Actual",
                mode="lines",
                line={"color": INK, "width": 2},
                hovertemplate="Week %{x}: %{y:,} actual<extra></extra>",
            ),
            go.Scatter(
                x=weeks,
                y=[point["predicted_cumulative"] for point in backtest.weekly],
                name=f"{backtest.get_model_display()} forecast",
                mode="lines",
                line={"color": BRAND, "width": 2, "dash": "dash"},
                hovertemplate="Week %{x}: %{y:,.0f} predicted<extra></extra>",
            ),
        ]
    )
    figure.add_vline(
        x=backtest.calibration_weeks,
        line={"color": MUTED, "width": 1, "dash": "dot"},
        annotation={"text": "calibration end", "font": {"color": MUTED}},
        annotation_position="top left",
    )
    return _layout(figure, x_title="Week", y_title="Cumulative repeat transactions")
