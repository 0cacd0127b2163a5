"""The NPS trend chart of the analytics pages (drawn as ``customers.charts`` describes)."""

from collections.abc import Sequence

import plotly.graph_objects as go
from django.utils.safestring import SafeString

from customers.charts import BRAND, GRID, MUTED, chart_layout, figure_html
from feedback.analytics import Row


def nps_trend_chart(months: Sequence[Row]) -> SafeString:
    """NPS by month answered (a line, −100 to 100 points) over the month's responses
    (bars, on the right axis); months without responses are left out of the line."""
    answered = [row for row in months if row.responses]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=[row.key for row in answered],
            y=[row.responses for row in answered],
            name="Responses",
            marker={"color": GRID},
            yaxis="y2",
            hovertemplate="%{x|%b %Y}: %{y:,} responses<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[row.key for row in answered],
            y=[round(row.nps, 1) if row.nps is not None else None for row in answered],
            mode="lines+markers",
            name="NPS",
            line={"color": BRAND, "width": 2},
            hovertemplate="%{x|%b %Y}: NPS %{y:+.1f}<extra></extra>",
        )
    )
    chart_layout(figure, x_title="Month answered", y_title="NPS (points, −100 to 100)")
    figure.update_layout(
        # Every third month labelled: twelve labels do not fit half a page's width.
        xaxis={"type": "date", "tickformat": "%b %Y", "dtick": "M3", "automargin": True},
        yaxis={"range": [-100, 100], "zeroline": True, "zerolinecolor": MUTED},
        yaxis2={
            "title": {"text": "Responses", "font": {"color": MUTED}},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "tickfont": {"color": MUTED},
            "tickformat": ",.0f",
        },
        margin={"l": 64, "r": 64, "t": 16, "b": 48},
    )
    return figure_html(figure)
