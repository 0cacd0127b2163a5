"""Reads of CLV runs for the model page, the score export and the admin."""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, IntegerField, Value
from django.db.models.functions import Floor, Least

from customers.models import ClvBacktest, ClvRun, CustomerScore

SCORE_EXPORT_COLUMNS = (
    "external_id",
    "frequency",
    "recency_days",
    "age_days",
    "monetary",
    "p_alive",
    "expected_purchases_90d",
    "predicted_clv",
    "historical_clv",
    "rfm_score",
    "segment",
)


# The stored fields behind the columns; the segment is the customer's default segment.
_SCORE_EXPORT_FIELDS = (
    "customer__external_id",
    *SCORE_EXPORT_COLUMNS[1:-1],
    "customer__segment_assignment__segment__code",
)


def customer_score_export_rows(chunk_size: int = 5_000) -> Iterator[tuple[Any, ...]]:
    """Every scored customer as a row of ``SCORE_EXPORT_COLUMNS``, by customer id.

    Streams with ``.iterator()`` (a server-side cursor on PostgreSQL), so a million rows
    cost constant memory. Probabilities and expected purchases are rounded to 6 places;
    predictions are empty when the run skipped them. ``segment`` is the default segment's
    code, empty until the run's reassignment has put the customer in one.
    """
    rows = (
        CustomerScore.objects.order_by("customer_id")
        .values_list(*_SCORE_EXPORT_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    for external_id, *figures, p_alive, expected, predicted, historical, rfm, segment in rows:
        yield (
            external_id,
            *figures,
            None if p_alive is None else round(p_alive, 6),
            None if expected is None else round(expected, 6),
            predicted,
            historical,
            rfm,
            segment or "",
        )


def clv_run_latest_succeeded() -> ClvRun | None:
    """The run whose scores the customers have now (the latest successful one)."""
    return ClvRun.objects.filter(status=ClvRun.Status.SUCCEEDED).order_by("-finished_at").first()


def clv_runs_recent(limit: int = 10) -> list[ClvRun]:
    """The latest runs, whatever their outcome, newest first."""
    return list(ClvRun.objects.order_by("-created_at", "-id")[:limit])


def clv_run_as_json(run: ClvRun) -> dict[str, Any]:
    """The run as ``recalculate_clv --json`` prints it and ``/api/v1/clv/runs/`` answers it:
    as_of, customers, time_unit, parameters, seconds."""
    return {
        "id": run.pk,
        "as_of": run.as_of.isoformat(),
        "customers": run.customers,
        "repeat_customers": run.repeat_customers,
        "model": run.model,
        "time_unit": run.time_unit,
        "bgnbd": {"r": run.r, "alpha": run.alpha, "a": run.a, "b": run.b},
        "gamma_gamma": {"p": run.gg_p, "q": run.gg_q, "gamma": run.gg_gamma},
        "log_likelihood": run.log_likelihood,
        "gamma_gamma_log_likelihood": run.gg_log_likelihood,
        "prediction_skipped": run.prediction_skipped,
        "seconds": run.seconds,
    }


def clv_backtest_latest() -> ClvBacktest | None:
    """The most recent back-test (``manage.py backtest_clv``), if any."""
    return ClvBacktest.objects.order_by("-created_at", "-id").first()


@dataclass(frozen=True)
class Histogram:
    """Customers per bin of equal width: edges (len(counts) + 1, currency), and how many
    customers lie at or above the last edge (the clipped tail)."""

    edges: list[float]
    counts: list[int]
    overflow: int


def predicted_clv_histogram(run: ClvRun, bins: int = 30) -> Histogram | None:
    """Distribution of predicted CLV in about ``bins`` bins, in two queries at any size.

    The top 1% are clipped into one overflow count, so a long tail does not squash the
    rest: the 99th percentile comes from the predicted-CLV index (an offset of 1% of the
    run's customers), then one GROUP BY counts the bins. ``None`` without predictions.
    """
    if not run.has_prediction or not run.customers:
        return None
    predicted = CustomerScore.objects.filter(predicted_clv__isnull=False)
    clipped = run.customers // 100
    cap = predicted.order_by("-predicted_clv").values_list("predicted_clv", flat=True)[
        clipped : clipped + 1
    ]
    top = float(next(iter(cap), 0) or 0)
    step = _nice_step(max(top, 0.01) / bins)
    n_bins = max(1, math.ceil(max(top, 0.01) / step))
    if not clipped and n_bins * step <= top:
        n_bins += 1  # no clipping: the largest value needs a bin of its own
    bucket = Least(
        Floor(
            ExpressionWrapper(
                F("predicted_clv") / Value(Decimal(str(step))), output_field=DecimalField()
            )
        ),
        Value(n_bins),
        output_field=IntegerField(),
    )
    counts = [0] * (n_bins + 1)
    for index, count in (
        predicted.annotate(bucket=bucket).values("bucket").annotate(n=Count("*")).order_by()
    ).values_list("bucket", "n"):
        counts[int(index)] += count
    return Histogram([i * step for i in range(n_bins + 1)], counts[:n_bins], counts[n_bins])


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at least ``raw``: bin edges people can read."""
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
