"""Predicted-CLV bands: is a customer in the top N % of the latest run's predictions?

A band's cut-off is the predicted CLV of the customer ranked ``ceil(n × N / 100)`` among
the ``n`` customers the run predicted a value for, highest first; a customer is in the
band when their predicted CLV is at least the cut-off (ties stay in). Computing one costs
an index range of N % of the scores, so each is stored (:class:`PredictedClvCut`) the first
time anyone asks for it after a run, and every later question is one indexed read.

The scores table holds one run at a time (each run replaces it whole), so the run a cut
belongs to is the run of any score row.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from customers.models import CustomerScore, PredictedClvCut

SCORES = CustomerScore._meta.db_table
CUTS = PredictedClvCut._meta.db_table


@dataclass(frozen=True)
class CustomerValue:
    """A customer's predicted CLV (``None``: not predicted) and the run's band cut-offs."""

    predicted_clv: Decimal | None
    cuts: dict[int, Decimal | None]

    def top_percent(self) -> int | None:
        """The narrowest band (of those asked) the customer is in; ``None`` for none."""
        if self.predicted_clv is None:
            return None
        inside = [
            percent
            for percent, cut in self.cuts.items()
            if cut is not None and self.predicted_clv >= cut
        ]
        return min(inside, default=None)


def customer_value(*, customer_id: int, percents: Iterable[int]) -> CustomerValue | None:
    """The customer's predicted CLV and the cut-offs of ``percents`` (each 1–100) in the
    run that scored them; ``None`` if no run scored them.

    One query once the run's cut-offs are stored; the first question after a run also
    computes and stores the missing ones (see the module).
    """
    wanted = _checked(percents)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.run_id, s.predicted_clv, c.top_percent, c.value FROM {SCORES} s "
            f"LEFT JOIN {CUTS} c ON c.run_id = s.run_id AND c.top_percent IN "
            f"({', '.join(['%s'] * len(wanted))}) WHERE s.customer_id = %s",
            [*wanted, customer_id],
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    run_id, predicted = rows[0][0], rows[0][1]
    cuts = {percent: _decimal(value) for _, _, percent, value in rows if percent is not None}
    if len(cuts) < len(wanted):
        cuts |= run_cuts_store(run_id=run_id, percents=sorted(set(wanted) - set(cuts)))
    return CustomerValue(_decimal(predicted), cuts)


def current_cut(percent: int) -> Decimal | None:
    """The cut-off of the top ``percent`` % in the scores now; ``None`` without scores or
    predictions (then nobody is in the band). One query once stored."""
    (wanted,) = _checked([percent])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.run_id, c.top_percent, c.value FROM (SELECT run_id FROM {SCORES} LIMIT 1) s "
            f"LEFT JOIN {CUTS} c ON c.run_id = s.run_id AND c.top_percent = %s",
            [wanted],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    if row[1] is not None:
        return _decimal(row[2])
    return run_cuts_store(run_id=row[0], percents=[wanted])[wanted]


def run_cuts_store(*, run_id: int, percents: list[int]) -> dict[int, Decimal | None]:
    """Compute the cut-offs of ``percents`` from the scores (those of run ``run_id``) and
    store them; a concurrent caller storing the same ones first wins (``ON CONFLICT DO
    NOTHING``: both computed the same values from the same scores)."""
    predicted = CustomerScore.objects.filter(predicted_clv__isnull=False)
    count = predicted.count()
    by_value = predicted.order_by("-predicted_clv").values_list("predicted_clv", flat=True)
    cuts: dict[int, Decimal | None] = {}
    for percent in percents:
        # Decimal: 15 × 20 / 100 is exactly 3, where floats may round up to 4.
        rank = math.ceil(Decimal(count) * percent / 100)
        cuts[percent] = next(iter(by_value[rank - 1 : rank]), None) if rank else None
    PredictedClvCut.objects.bulk_create(
        [
            PredictedClvCut(run_id=run_id, top_percent=percent, value=value, customers=count)
            for percent, value in cuts.items()
        ],
        ignore_conflicts=True,
    )
    return cuts


def _checked(percents: Iterable[int]) -> list[int]:
    wanted = sorted(set(percents))
    if not wanted or any(not 1 <= p <= 100 for p in wanted):
        raise ValueError(f"band percents must be 1 to 100, not {wanted}")
    return wanted


def _decimal(value: object) -> Decimal | None:
    """A cut or predicted CLV as read by the driver (SQLite's may be a float or text)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))
