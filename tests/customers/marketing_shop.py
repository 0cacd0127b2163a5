"""A hand-built shop for the CAC tests: four channels, spend around the first quarter of 2025,
customers acquired in it with and without scores, and one successful CLV run.

| channel     | spend (Q1)             | acquired in Q1 (value = historical + predicted)   |
|-------------|------------------------|---------------------------------------------------|
| Paid search | 1,000 a month: 3,000   | P1 600, P2 900, P3 no score (0), P4 after as-of   |
| Referral    | January 200            | R1 1,200, R2 600                                  |
| Social      | February 600           | nobody                                            |
| Organic     | none entered           | O1 120                                            |
| no channel  | —                      | N1 30, N2 80                                      |

December 2024 and April 2025 have spend and customers too, outside the quarter.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from customers.models import AcquisitionChannel, ClvRun, Customer, MarketingSpend
from tests.factories import score_of

AS_OF = date(2025, 3, 15)
Q1 = (date(2025, 1, 1), date(2025, 3, 31))


@dataclass(frozen=True)
class Shop:
    paid: AcquisitionChannel
    referral: AcquisitionChannel
    social: AcquisitionChannel
    organic: AcquisitionChannel
    run: ClvRun


def marketing_shop() -> Shop:
    names = ("Paid search", "Referral", "Social", "Organic")
    paid, referral, social, organic = (AcquisitionChannel.objects.create(name=n) for n in names)
    spend = [
        (date(2024, 12, 1), paid, "500.00"),
        (date(2025, 1, 1), paid, "1000.00"),
        (date(2025, 2, 1), paid, "1000.00"),
        (date(2025, 3, 1), paid, "1000.00"),
        (date(2025, 4, 1), paid, "700.00"),
        (date(2025, 1, 1), referral, "200.00"),
        (date(2025, 2, 1), social, "600.00"),
    ]
    MarketingSpend.objects.bulk_create(
        MarketingSpend(month=month, channel=channel, amount=Decimal(amount))
        for month, channel, amount in spend
    )
    run = ClvRun.objects.create(
        as_of=AS_OF,
        status=ClvRun.Status.SUCCEEDED,
        horizon_months=12,
        r=0.24,
        alpha=4.4,
        a=0.79,
        b=2.4,
        finished_at=timezone.now(),
    )
    # (id, channel, acquired on, historical, predicted); None: no score.
    people = [
        ("P0", paid, date(2024, 12, 31), "999.00", "999.00"),
        ("P1", paid, date(2025, 1, 1), "100.00", "500.00"),
        ("P2", paid, date(2025, 2, 10), "200.00", "700.00"),
        ("P3", paid, date(2025, 2, 1), None, None),
        ("P4", paid, date(2025, 3, 20), None, None),
        ("P5", paid, date(2025, 4, 1), "999.00", "999.00"),
        ("R1", referral, date(2025, 1, 5), "300.00", "900.00"),
        ("R2", referral, date(2025, 3, 10), "100.00", "500.00"),
        ("O1", organic, date(2025, 2, 2), "40.00", "80.00"),
        ("N1", None, date(2025, 1, 20), "10.00", "20.00"),
        ("N2", None, date(2025, 3, 1), "30.00", "50.00"),
    ]
    for external_id, channel, acquired_on, historical, predicted in people:
        customer = Customer.objects.create(
            external_id=external_id, acquisition_channel=channel, acquired_on=acquired_on
        )
        if historical is not None and predicted is not None:
            score_of(
                customer,
                run,
                historical_clv=Decimal(historical),
                predicted_clv=Decimal(predicted),
            )
    return Shop(paid, referral, social, organic, run)
