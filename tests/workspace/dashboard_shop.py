"""The hand-built shop of ``tests.customers.kpi_shop`` with a CLV run that scored A, B and
E, its aggregates refreshed as of 2025-06-30 (window: 3 months)."""

from decimal import Decimal

from django.utils import timezone

from customers.models import AcquisitionChannel, ClvRun, Customer
from customers.services.kpis import kpi_aggregates_refresh
from tests.customers.kpi_shop import AS_OF, kpi_shop
from tests.factories import score_of


def dashboard_shop() -> tuple[AcquisitionChannel, ClvRun]:
    """Build and refresh the shop (the caller sets the 3-month window first)."""
    paid = kpi_shop()
    run = ClvRun.objects.create(
        as_of=AS_OF, status=ClvRun.Status.SUCCEEDED, r=1.0, customers=3, finished_at=timezone.now()
    )
    scores = {
        "A": ("0.9", "100.00", "180.00"),
        "B": ("0.5", "20.00", "180.00"),
        "E": ("0.2", "5.00", "10.00"),
    }
    for name, (p_alive, predicted, historical) in scores.items():
        score_of(
            Customer.objects.get(external_id=name),
            run,
            p_alive=float(p_alive),
            predicted_clv=Decimal(predicted),
            historical_clv=Decimal(historical),
        )
    kpi_aggregates_refresh(as_of=AS_OF)
    return paid, run
