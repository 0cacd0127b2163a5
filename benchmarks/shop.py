"""The simulated shop of the CLV, segment and loyalty benchmarks, drawn with numpy.

Customers' first purchases are spread uniformly over two years ending on the as-of day;
their repeat orders follow a BG/NBD process (Poisson purchases at a gamma-distributed rate,
a beta-distributed chance to drop out after each one; the rate scale is solved so the
orders add up to the number asked for, and a few customers' counts are nudged by one to hit
it exactly), order values follow the Gamma-Gamma model, and every order is ``completed``.
All of it is vectorised; same-day orders are left as they fall (the CLV run merges them
into purchase days). ``benchmarks.shop_load`` puts the shop into a database.
"""

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

# BG/NBD in days: rate ~ Gamma(R, 1) / alpha (alpha solved for the number of orders),
# dropout probability ~ Beta(A, B). Gamma-Gamma spend: each customer's spend rate
# nu ~ Gamma(Q, rate GAMMA), each order's value ~ Gamma(P, rate nu), in dollars (the CDNOW
# estimates: a mean order of about $35).
SPAN_DAYS = 730
BGNBD_R, BGNBD_A, BGNBD_B = 0.4, 2.0, 20.0
GG_P, GG_Q, GG_GAMMA = 6.25, 3.74, 15.44
MAX_CENTS = 99_999_999  # $999,999.99: fits numeric(12, 2) with room to spare
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Shop:
    """The simulated customers and orders, ready to COPY (ids are 1-based)."""

    as_of: date
    customer_created: NDArray[np.int64]  # first purchase, microseconds since 1970-01-01 UTC
    customer_acquired: NDArray[np.int64]  # local day of the first purchase, days since 1970
    order_customer: NDArray[np.int64]  # customer id of each order, orders sorted by time
    order_placed: NDArray[np.int64]  # microseconds since 1970-01-01 UTC
    order_cents: NDArray[np.int64]
    alpha: float  # solved BG/NBD alpha, in days
    nudged: int  # customers whose repeat purchase count was moved by one

    @property
    def customers(self) -> int:
        return len(self.customer_created)

    @property
    def orders(self) -> int:
        return len(self.order_customer)

    def facts(self) -> dict[str, Any]:
        """What the reports say about the shop (kept with a reused database)."""
        per_customer = np.bincount(self.order_customer, minlength=self.customers + 1)[1:]
        return {
            "customers": self.customers,
            "orders": self.orders,
            "as_of": self.as_of.isoformat(),
            "alpha": self.alpha,
            "nudged": self.nudged,
            "max_orders": int(per_customer.max()),
            "mean_order": float(self.order_cents.mean() / 100),
        }


def shop_time_zone() -> ZoneInfo:
    """The zone the shop's days are drawn in: the settings' default, ``TIME_ZONE`` or UTC."""
    return ZoneInfo(os.environ.get("TIME_ZONE", "UTC"))


def simulate(customers: int, orders: int, as_of: date, tz: ZoneInfo, seed: int) -> Shop:
    """Draw the shop: BG/NBD purchases and Gamma-Gamma values over two years to ``as_of``."""
    rng = np.random.default_rng(seed)
    n, repeats, span = customers, orders - customers, float(SPAN_DAYS)
    rate_shape = rng.gamma(BGNBD_R, 1.0, n)  # lambda_i * alpha
    survives = rng.geometric(rng.beta(BGNBD_A, BGNBD_B, n))  # repeat purchases until dropout
    start = rng.uniform(0.0, span, n)  # first purchase, days into the window
    age = span - start
    alpha, arrivals = _solve_alpha(rng, rate_shape * age, survives, repeats)
    bought = np.minimum(arrivals, survives)
    bought, arrivals, nudged = _nudge(rng, bought, arrivals, survives, repeats)

    # A customer who dropped out made the first ``bought`` of ``arrivals`` Poisson purchases:
    # the last at T * Beta(x, k - x + 1), the others uniform before it. Otherwise uniform on T.
    dropped = np.flatnonzero((arrivals > bought) & (bought > 0))
    last = age.copy()
    last[dropped] = age[dropped] * rng.beta(
        bought[dropped], arrivals[dropped] - bought[dropped] + 1
    )
    owner = np.repeat(np.arange(n), bought)
    offset = rng.random(len(owner))
    offset[(np.cumsum(bought) - bought)[dropped]] = 1.0
    when = np.concatenate([start, start[owner] + offset * last[owner]])
    who = np.concatenate([np.arange(n), owner])
    del owner, offset
    when = np.minimum(when, np.nextafter(span, 0.0))
    order = np.argsort(when, kind="stable")
    when, who = when[order], who[order]
    del order

    spend_rate = rng.gamma(GG_Q, 1.0 / GG_GAMMA, n)
    value = rng.gamma(GG_P, 1.0, len(who)) / spend_rate[who]
    cents = np.clip(np.rint(value * 100), 1, MAX_CENTS).astype(np.int64)
    del value

    first_day = as_of - timedelta(days=SPAN_DAYS - 1)
    midnights = local_midnights(first_day, SPAN_DAYS, tz)
    first_offset = (first_day - UNIX_EPOCH.date()).days
    return Shop(
        as_of=as_of,
        customer_created=_instants(start, midnights),
        customer_acquired=first_offset + start.astype(np.int64),
        order_customer=who + 1,
        order_placed=_instants(when, midnights),
        order_cents=cents,
        alpha=alpha,
        nudged=nudged,
    )


def _solve_alpha(
    rng: np.random.Generator,
    shape_age: NDArray[np.float64],
    survives: NDArray[np.int64],
    repeats: int,
) -> tuple[float, NDArray[np.int64]]:
    """Bisect alpha so the repeat purchases add up to about ``repeats``.

    Returns alpha and the Poisson purchase counts over each customer's T of the draw closest
    to the target (counts before dropout).
    """
    if repeats == 0:
        return float("inf"), np.zeros(len(shape_age), dtype=np.int64)
    low, high = np.log(1e-3), np.log(1e5)
    best: tuple[int, float, NDArray[np.int64]] | None = None
    for _ in range(40):
        middle = (low + high) / 2
        arrivals = rng.poisson(shape_age / np.exp(middle))
        total = int(np.minimum(arrivals, survives).sum())
        if best is None or abs(total - repeats) < best[0]:
            best = (abs(total - repeats), float(np.exp(middle)), arrivals)
        if total > repeats:
            low = middle
        else:
            high = middle
    assert best is not None
    return best[1], best[2]


def _nudge(
    rng: np.random.Generator,
    bought: NDArray[np.int64],
    arrivals: NDArray[np.int64],
    survives: NDArray[np.int64],
    repeats: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], int]:
    """Add or remove one repeat purchase for random customers to hit ``repeats`` exactly."""
    nudged = 0
    while (missing := repeats - int(bought.sum())) != 0:
        if missing > 0:  # one more purchase for customers still alive at the end
            eligible = np.flatnonzero((bought == arrivals) & (bought < survives))
            if eligible.size == 0:
                eligible = np.arange(len(bought))
        else:
            eligible = np.flatnonzero(bought > 0)
        chosen = rng.choice(eligible, min(abs(missing), eligible.size), replace=False)
        bought[chosen] += 1 if missing > 0 else -1
        arrivals = np.maximum(arrivals, bought)
        nudged += len(chosen)
    return bought, arrivals, nudged


def local_midnights(first_day: date, days: int, tz: ZoneInfo) -> NDArray[np.int64]:
    """Microseconds since 1970-01-01 UTC of each local midnight, ``days + 1`` of them."""
    return np.array(
        [
            round(
                (
                    datetime.combine(first_day + timedelta(days=k), datetime.min.time(), tz)
                    - UNIX_EPOCH
                ).total_seconds()
            )
            * 1_000_000
            for k in range(days + 1)
        ],
        dtype=np.int64,
    )


def _instants(days: NDArray[np.float64], midnights: NDArray[np.int64]) -> NDArray[np.int64]:
    """Instants of fractional local days since the window start (DST-aware)."""
    whole = days.astype(np.int64)
    length = midnights[whole + 1] - midnights[whole]
    return midnights[whole] + ((days - whole) * length).astype(np.int64)
