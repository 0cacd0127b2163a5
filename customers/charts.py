"""Plotly figures of the staff pages, built in Python and embedded as HTML fragments.

The page loads plotly.min.js from our own static files (``vendor/plotly/``) and
``js/charts.js`` draws each fragment, so a fragment carries only its data and layout:
nothing is downloaded from elsewhere and no inline script runs, as the pages'
Content-Security-Policy wants.
"""

import json
from uuid import uuid4

import plotly.graph_objects as go
import plotly.io
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString

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


def chart_layout(figure: go.Figure, *, x_title: str, y_title: str) -> go.Figure:
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
