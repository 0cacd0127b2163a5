"""The model page's charts: the distribution of predicted CLV and the back-test's tracking."""

from collections.abc import Sequence
from itertools import pairwise

import plotly.graph_objects as go

from customers.charts import BRAND, INK, MUTED, chart_layout
from customers.models import ClvBacktest


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
    return chart_layout(figure, x_title=f"Predicted CLV ({currency})", y_title="Customers")


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
    return chart_layout(figure, x_title="Week", y_title="Cumulative repeat transactions")
