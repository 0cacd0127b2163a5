"""The segment trend chart: each segment's size (or predicted CLV) across runs."""

from collections.abc import Sequence

import plotly.graph_objects as go

from customers.charts import chart_layout as layout  # the shared look of the staff charts
from customers.models import ClvRun, SegmentStatistic

# Default segments keep their colour across charts: new, churned, at risk, high, low.
COLOURS = {
    "new": "#3b5bdb",
    "churned": "#868e96",
    "at_risk": "#f08c00",
    "high_value": "#2f9e44",
    "low_value": "#ae3ec9",
}


def segment_trend(
    runs: Sequence[ClvRun], stats: Sequence[SegmentStatistic], *, metric: str, y_title: str
) -> go.Figure:
    """One line per segment over ``runs`` (oldest first) of ``metric`` of ``stats``.

    metric: ``customers`` or ``total_predicted_clv``; a segment missing from a run (a
    custom segment created later) has a gap there.
    """
    x = [f"{run.as_of:%Y-%m-%d} (#{run.pk})" for run in runs]
    position = {run.pk: i for i, run in enumerate(runs)}
    lines: dict[int, tuple[str, str, list[float | None]]] = {}
    for stat in stats:
        segment = stat.segment
        _, _, values = lines.setdefault(
            segment.pk, (segment.name, segment.code, [None] * len(runs))
        )
        value = getattr(stat, metric)
        values[position[stat.run_id]] = None if value is None else float(value)
    figure = go.Figure(
        [
            go.Scatter(
                x=x,
                y=values,
                name=name,
                mode="lines+markers",
                line={"color": COLOURS.get(code), "width": 2},
                hovertemplate=f"{name}: %{{y:,.0f}}<extra></extra>",
            )
            for name, code, values in lines.values()
        ]
    )
    return layout(figure, x_title="CLV run (as of)", y_title=y_title)
