"""Generate a whole demo shop as plain rows: pure functions of (customers, seed, as-of).

The story the data tells: a growing specialty coffee and tea shop, two years old on the
as-of day. Customers arrive ever faster (and more so before Christmas), each buys by the
BG/NBD process with their own rate and dropout probability, spends by the Gamma-Gamma
model, and keeps coming back to a favourite category. See ``behaviour`` for the numbers.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from customers.demo.baskets import BasketBuilder
from customers.demo.behaviour import (
    CHANNELS,
    HORIZON_DAYS,
    HOURLY_PROFILE,
    POPULATION,
    max_seasonal_weight,
    seasonal_weight,
)
from customers.demo.catalogue import PRODUCTS
from customers.demo.people import Person, make_people
from customers.demo.rows import (
    CANCELLED,
    COMPLETED,
    REFUNDED,
    CustomerRow,
    DemoShop,
    LineRow,
    OrderRow,
)
from customers.demo.sampling import WeightedChoice

FAVOURITE_LOYALTY = 0.65
"""Probability that a later order starts from the category of the customer's first order."""
PROGRESS_STEP = 100
"""Customers generated between two progress reports."""

_CHANNEL_CHOICE = WeightedChoice([c.share for c in CHANNELS])
_HOUR_CHOICE = WeightedChoice(HOURLY_PROFILE)


@dataclass(frozen=True)
class Traits:
    """Each customer's hidden behaviour, float64/bool arrays (n,).

    rate: purchases per day while alive. dropout: probability of leaving after a repeat
    purchase. spend_scale: Gamma scale of order values (mean order value is
    ``POPULATION.spend_p * spend_scale``, currency). consent: opted in to marketing.
    """

    rate: NDArray[np.float64]
    dropout: NDArray[np.float64]
    spend_scale: NDArray[np.float64]
    consent: NDArray[np.bool_]


@dataclass
class _OrderDraft:
    placed_at: datetime
    customer: int
    status: str
    lines: tuple[LineRow, ...]


def generate_shop(
    *,
    customers: int,
    seed: int,
    as_of: date,
    tz: tzinfo,
    on_progress: Callable[[int], None] | None = None,
) -> DemoShop:
    """A demo shop of ``customers`` customers with two years of orders up to ``as_of``.

    Orders fall on the ``HORIZON_DAYS`` days before ``as_of`` (never on it, so a shop seeded
    "as of today" has no order in the future), at local times in ``tz``. The same
    arguments give the same shop. ``on_progress(n)`` is told each time n more customers
    are done.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    rng = np.random.default_rng(seed)
    start = as_of - timedelta(days=HORIZON_DAYS)
    acquired = acquisition_times(rng, customers, start)
    channel_index = _CHANNEL_CHOICE.draw_many(rng, customers)
    people = make_people(rng, customers, as_of=as_of)
    traits = draw_traits(rng, channel_index)
    builder = BasketBuilder()
    drafts: list[_OrderDraft] = []
    reported = 0
    for i in range(customers):
        times = purchase_times(rng, float(acquired[i]), traits.rate[i], traits.dropout[i])
        placed = sorted(_placed_at(rng, start, t, tz) for t in times)
        values = rng.gamma(POPULATION.spend_p, traits.spend_scale[i], len(placed))
        drafts.extend(_customer_orders(rng, builder, i, placed, values))
        if on_progress is not None and ((i + 1) % PROGRESS_STEP == 0 or i + 1 == customers):
            on_progress(i + 1 - reported)
            reported = i + 1
    channels = [CHANNELS[c].name for c in channel_index]
    return _number(as_of, people, channels, traits.consent.tolist(), drafts)


def acquisition_times(rng: np.random.Generator, count: int, start: date) -> NDArray[np.float64]:
    """Sorted first-purchase times, float64 (count,), in days since ``start``.

    The acquisition rate grows exponentially (``POPULATION.growth``) and peaks in the
    gift seasons; drawn by inverting the growth curve, then thinning by season.
    """
    growth = POPULATION.growth
    ceiling = max_seasonal_weight()
    kept: list[NDArray[np.float64]] = []
    found = 0
    while found < count:
        batch = max(2 * (count - found), 64)
        t = HORIZON_DAYS * np.log1p(rng.random(batch) * np.expm1(growth)) / growth
        t = np.minimum(t, np.nextafter(HORIZON_DAYS, 0))
        days = np.datetime64(start, "D") + t.astype(np.int64)
        day_of_year = (days - days.astype("datetime64[Y]")).astype(np.int64) + 1
        accepted = t[rng.random(batch) * ceiling < seasonal_weight(day_of_year)]
        kept.append(accepted)
        found += accepted.size
    return np.sort(np.concatenate(kept)[:count])


def draw_traits(rng: np.random.Generator, channel_index: NDArray[np.intp]) -> Traits:
    """Draw every customer's rate, dropout, spend and consent from their channel's mix."""
    n = channel_index.size

    def per_channel(attribute: str) -> NDArray[np.float64]:
        return np.array([getattr(c, attribute) for c in CHANNELS])[channel_index]

    rate = rng.gamma(POPULATION.r, 1.0, n) * per_channel("rate_factor") / POPULATION.alpha
    dropout = rng.beta(per_channel("dropout_a"), per_channel("dropout_b"))
    # nu ~ Gamma(q, rate gamma); a customer's mean order value is spend_p / nu.
    nu = rng.gamma(POPULATION.spend_q, 1.0 / POPULATION.spend_gamma, n)
    consent = rng.random(n) < per_channel("consent_rate")
    return Traits(rate, dropout, per_channel("spend_factor") / nu, consent)


def purchase_times(
    rng: np.random.Generator, first: float, rate: float, dropout: float
) -> list[float]:
    """Purchase times (days since the horizon start) of one customer, ``first`` included.

    BG/NBD: exponential gaps at ``rate`` while alive; after each repeat purchase the
    customer leaves with probability ``dropout`` (the first purchase never ends it).
    """
    times = [first]
    moment = first
    while True:
        moment += rng.exponential(1.0 / rate)
        if moment >= HORIZON_DAYS:
            return times
        times.append(moment)
        if rng.random() < dropout:
            return times


def _placed_at(rng: np.random.Generator, start: date, moment: float, tz: tzinfo) -> datetime:
    # The day comes from the process; the time of day from the shop's hourly profile, so
    # orders cluster at lunch and in the evening rather than spreading uniformly.
    seconds = int(rng.integers(3600))
    clock = time(_HOUR_CHOICE.draw(rng), seconds // 60, seconds % 60)
    return datetime.combine(start + timedelta(days=int(moment)), clock, tzinfo=tz)


def _customer_orders(
    rng: np.random.Generator,
    builder: BasketBuilder,
    customer: int,
    placed: list[datetime],
    values: NDArray[np.float64],
) -> list[_OrderDraft]:
    favourite = builder.anchor_choice.draw(rng)
    drafts = []
    for number, (moment, value) in enumerate(zip(placed, values.tolist(), strict=True)):
        keeps_favourite = number == 0 or rng.random() < FAVOURITE_LOYALTY
        anchor = favourite if keeps_favourite else builder.anchor_choice.draw(rng)
        lines = tuple(
            LineRow(n, product.sku, quantity, product.price, product.price * quantity)
            for n, (product, quantity) in enumerate(builder.build(rng, value, anchor), start=1)
        )
        drafts.append(_OrderDraft(moment, customer, _status(rng), lines))
    return drafts


def _status(rng: np.random.Generator) -> str:
    draw = rng.random()
    if draw < POPULATION.refund_rate:
        return REFUNDED
    if draw < POPULATION.refund_rate + POPULATION.cancel_rate:
        return CANCELLED
    return COMPLETED


def _number(
    as_of: date,
    people: list[Person],
    channels: list[str],
    consent: list[bool],
    drafts: list[_OrderDraft],
) -> DemoShop:
    """Number customers and orders in time order: C-00001 bought first, D-000001 too."""
    drafts.sort(key=lambda d: (d.placed_at, d.customer))
    first_order: dict[int, datetime] = {}
    for draft in drafts:
        first_order.setdefault(draft.customer, draft.placed_at)
    external_ids = {i: f"C-{n:05d}" for n, i in enumerate(first_order, start=1)}
    customers = [
        CustomerRow(
            external_id=external_ids[i],
            email=people[i].email,
            first_name=people[i].first_name,
            last_name=people[i].last_name,
            phone=people[i].phone,
            country=people[i].country,
            channel=channels[i],
            acquired_on=first_order[i].date(),
            marketing_consent=consent[i],
            birthday=people[i].birthday,
            first_order_at=first_order[i],
        )
        for i in first_order
    ]
    orders = [
        OrderRow(
            external_id=f"D-{n:06d}",
            customer_external_id=external_ids[d.customer],
            placed_at=d.placed_at,
            status=d.status,
            total=sum((line.amount for line in d.lines), Decimal("0.00")),
            lines=d.lines,
        )
        for n, d in enumerate(drafts, start=1)
    ]
    return DemoShop(as_of, tuple(c.name for c in CHANNELS), PRODUCTS, customers, orders)
