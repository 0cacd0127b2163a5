"""Retention, churn, repeat purchases, acquisition cost, CLV:CAC and payback.

Definitions follow the usual marketing texts (Farris, Bendle, Pfeifer & Reibstein, *Marketing
Metrics*, 2nd ed., 2010, ch. 5 "Customer Profitability": retention rate, average acquisition
cost, customer lifetime value) and the issue that asked for them (issue 15). Each function
names its formula; each answers ``None`` where the formula divides by zero or lacks an input.

Counts are customers; money is ``Decimal`` in the shop currency (a float is accepted where a
value comes from analytics). Rates are percentages, 0 to 100.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = 100.0


def customer_retention_rate(
    *, customers_at_start: int, customers_at_end: int, new_customers: int
) -> float | None:
    """Customer retention rate for a period, in percent: CRR = (E − N) / S × 100.

    ``customers_at_start`` (S) and ``customers_at_end`` (E) are the customers at the first and
    the last day of the period, ``new_customers`` (N) those acquired within it, so E − N are the
    customers of the start still there at the end. What "a customer at a date" means is the
    caller's to define and to show (for the dashboard: acquired by that day and not churned).
    ``None`` when there was no customer at the start (S = 0).
    """
    _counts(customers_at_start, customers_at_end, new_customers)
    if customers_at_start == 0:
        return None
    return HUNDRED * (customers_at_end - new_customers) / customers_at_start


def churn_rate(*, lost: int, customers_at_start: int) -> float | None:
    """Churn rate for a period, in percent: lost / S × 100.

    ``lost``: customers of the start (S) who were no longer customers at the end. With the
    same definition of a customer, churn rate + CRR = 100. ``None`` when S = 0.
    """
    _counts(lost, customers_at_start)
    if lost > customers_at_start:
        raise ValueError("more customers lost than there were at the start")
    if customers_at_start == 0:
        return None
    return HUNDRED * lost / customers_at_start


def repeat_purchase_rate(*, repeat_customers: int, customers: int) -> float | None:
    """Repeat-purchase rate, in percent: customers with two or more purchases ÷ customers with
    at least one, × 100. ``None`` when no customer bought anything."""
    _counts(repeat_customers, customers)
    if repeat_customers > customers:
        raise ValueError("more repeat customers than customers")
    if customers == 0:
        return None
    return HUNDRED * repeat_customers / customers


def customer_acquisition_cost(*, spend: Decimal | None, customers_acquired: int) -> Decimal | None:
    """CAC = marketing spend ÷ customers acquired, rounded half-up to cents.

    Farris et al.'s "average acquisition cost": the spend of a period on a channel over the
    customers that channel brought in that period. ``None`` when nobody was acquired (a
    channel with spend and no customers has no CAC; its spend still shows) or no spend was
    recorded (``spend=None``: unknown, which is not the same as a recorded 0, whose CAC is 0).
    """
    _counts(customers_acquired)
    if spend is None or customers_acquired == 0:
        return None
    if spend < 0:
        raise ValueError("spend cannot be negative")
    return (spend / customers_acquired).quantize(CENT, rounding=ROUND_HALF_UP)


def clv_to_cac_ratio(*, clv: Decimal | float | None, cac: Decimal | None) -> float | None:
    """CLV:CAC = average customer lifetime value ÷ CAC.

    ``clv`` is the average value of the customers acquired (the issue's: predicted CLV plus
    what they already spent). Below 1 the customers cost more than they bring; about 3 is the
    usual target; far above it, the channel may deserve more spend. ``None`` when either is
    unknown or CAC is 0 (free customers have no finite ratio).
    """
    if clv is None or cac is None or cac <= 0:
        return None
    return float(clv) / float(cac)


def payback_months(*, cac: Decimal | None, monthly_margin: Decimal | float | None) -> float | None:
    """CAC payback in months = CAC ÷ gross margin one acquired customer brings per month.

    The SaaS "CAC payback period" carried over to a shop: how many months of an acquired
    customer's margin (revenue × margin share, not revenue) repay what acquiring them cost.
    ``None`` when either is unknown or the monthly margin is not positive (it never pays
    back); 0 when the customers cost nothing.
    """
    if cac is None or monthly_margin is None or monthly_margin <= 0:
        return None
    if cac < 0:
        raise ValueError("CAC cannot be negative")
    return float(cac) / float(monthly_margin)


def _counts(*counts: int) -> None:
    if any(count < 0 for count in counts):
        raise ValueError("a count of customers cannot be negative")
