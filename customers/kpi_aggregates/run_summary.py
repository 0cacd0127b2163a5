"""A successful CLV run's figures over its scores, stored once so the dashboard never
reads the score table: one aggregate query and the model page's histogram (two queries)."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from customers.clv_runs.selectors import predicted_clv_histogram
from customers.models import ClvRun, CustomerScore, KpiRunSummary

CENT = Decimal("0.01")


def run_summary_write(run: ClvRun) -> KpiRunSummary:
    """Compute and store (replacing) ``run``'s summary from the scores it wrote.

    The score table holds the latest successful run's scores only: call this for that run.
    """
    figures = CustomerScore.objects.filter(run=run).aggregate(
        scored=Count("*"),
        active=Count("customer_id", filter=Q(p_alive__gte=KpiRunSummary.ACTIVE_P_ALIVE)),
        historical=Avg("historical_clv"),
        predicted=Avg("predicted_clv"),
        total=Sum("predicted_clv"),
    )
    histogram = predicted_clv_histogram(run)
    summary, _ = KpiRunSummary.objects.update_or_create(
        run=run,
        defaults={
            "scored_customers": figures["scored"],
            "active_customers": figures["active"],
            "average_historical_clv": _cents(figures["historical"]),
            "average_predicted_clv": _cents(figures["predicted"]) if run.has_prediction else None,
            "total_predicted_clv": _cents(figures["total"]) if run.has_prediction else None,
            "histogram": {
                "edges": histogram.edges,
                "counts": histogram.counts,
                "overflow": histogram.overflow,
            }
            if histogram is not None
            else {},
            "computed_at": timezone.now(),
        },
    )
    return summary


def _cents(value: Decimal | float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
