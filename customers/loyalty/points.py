"""The points ledger's batch jobs: earn on completed orders, reverse, expire oldest first.

Each job runs in one transaction holding the settings row's lock (so jobs never overlap),
stages its ledger lines in a temporary table, inserts them and moves every touched
balance by the staged sum: a fixed number of statements whatever the number of customers.
An order earns once, on its net revenue (total less refunds), and each line records the
net revenue it accounts for; a reversal is once per order and net revenue left (partial
unique constraints), and the expiry job keeps a watermark, so running any job twice writes
nothing the second time.

Points are 64-bit. One order earns at most about 10**16 points (the settings' bounds), so
only a balance within a run's earnings of the limit (9.2 * 10**18) needs care: earnings are
then credited in order id order for as long as they fit, and an order with no room left
gets no line (it earns once there is room again, while its points have not expired).

Which points expire (FIFO): a customer's credits are their earnings (less what reversals
took back of the same order) and their positive adjustments, in the order they expire
(earliest first, credits that never expire last). Their debits (redemptions, expiries,
negative adjustments) use up the credits in that order. The unspent part of an earning
is ``clamp(credits up to and including it - debits, 0, its amount)``; that is what
expires when it is due.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import DataError, connection, transaction
from django.utils import timezone

from clvcrm.core.input_values import INT64_MAX
from customers.loyalty.sql import (
    TABLES,
    add_months,
    balances_lock,
    end_of_day,
    greatest,
    least,
    on_postgres,
    order_net,
    param,
    plus_months,
    points_of,
    points_share,
    settings_lock,
)
from customers.models import LoyaltySettings, Order, PointsEntry

STAGE = "loyalty_points_stage"
ENDED = (Order.Status.REFUNDED.value, Order.Status.CANCELLED.value)


@dataclass(frozen=True)
class PointsRun:
    """What one batch job wrote: ledger lines and their points (signed)."""

    kind: str
    entries: int
    points: int


def points_earn(as_of: date) -> PointsRun:
    """Credit every completed order placed by the end of ``as_of`` not yet credited.

    Points are ``floor(net revenue x base rate x multiplier of the customer's tier)``, the
    net revenue being the total less what was refunded of the order so far; they expire
    ``points_expiry_months`` after the order was placed; orders whose points would already
    have expired earn nothing. Orders worth no whole point get no line.
    """
    try:
        return _earn(as_of, careful=False)
    except DataError:
        # A staff adjustment committed between this run's check of the balances and their
        # update, and took one past the 64-bit limit: again, with the balances locked first.
        return _earn(as_of, careful=True)


def _earn(as_of: date, *, careful: bool) -> PointsRun:
    with transaction.atomic(durable=True):
        rules = settings_lock()
        until = end_of_day(as_of)
        since = end_of_day(add_months(as_of, -rules.points_expiry_months))
        o, ledger = TABLES["orders"], TABLES["ledger"]
        rate = f"{rules.points_per_currency_unit:f} * COALESCE(t.points_multiplier, 1)"
        select = f"""
            SELECT customer_id, points, order_id, NULL, expires_at, net FROM (
                SELECT o.customer_id, {points_of(f"{order_net('o')} * {rate}")} AS points,
                       o.id AS order_id, {order_net("o")} AS net,
                       {plus_months("o.placed_at", rules.points_expiry_months)} AS expires_at
                FROM {o} o
                LEFT JOIN {TABLES["status"]} s ON s.customer_id = o.customer_id
                LEFT JOIN {TABLES["tier"]} t ON t.id = s.tier_id
                WHERE o.status = 'completed' AND o.placed_at >= %s AND o.placed_at < %s
                  AND NOT EXISTS (SELECT 1 FROM {ledger} e
                                  WHERE e.order_id = o.id AND e.kind = 'earn')
            ) credited
            WHERE points > 0
        """
        params = [param(since), param(until)]
        return _stage_and_apply(PointsEntry.Kind.EARN, select, params, as_of, careful=careful)


def points_reverse(as_of: date) -> PointsRun:
    """Take back the points of refunds since the orders earned: whole or partial.

    An order whose net revenue fell below what its ledger lines account for (a partial
    refund, a refund of the rest, a cancellation) gives back the refunded share of what it
    earned, rounded down: ``floor(earned x refunded / earned on)`` in all, less what earlier
    refunds of it gave back. Each such refund is one reversal recording the net revenue
    left. A reversal takes back what is left: points the customer already redeemed are not
    clawed back below a zero balance, then or later (a customer's reversals in this run are
    taken in order id order, each capped by what the ones before it left).
    """
    with transaction.atomic(durable=True):
        settings_lock()
        owed = _reversals_owed()
        balances_lock(f"SELECT customer_id FROM ({owed}) owed", [])
        left = greatest("balance - before", "0")
        select = f"""
            SELECT customer_id, -{least("owed", left)}, order_id, NULL, NULL, net_now FROM (
                SELECT p.customer_id, p.order_id, p.net_now, p.owed, b.balance,
                       SUM(p.owed) OVER (PARTITION BY p.customer_id ORDER BY p.order_id)
                           - p.owed AS before
                FROM ({owed}) p JOIN {TABLES["balance"]} b ON b.customer_id = p.customer_id
            ) reversed
        """
        return _stage_and_apply(PointsEntry.Kind.REVERSE, select, [], as_of)


def _reversals_owed() -> str:
    """SQL of ``(customer_id, order_id, net_now, owed)`` per earning owing points back.

    Only orders refunded, cancelled or partly refunded are looked at; what an order's lines
    account for is the smallest net revenue they record (its reversals only ever lower it).
    A refund worth less than a whole point owes nothing yet and stays pending.
    """
    ledger = TABLES["ledger"]
    given_back = points_share("earned", "earned_on - accounted", "earned_on")
    owed_in_all = points_share("earned", "earned_on - net_now", "earned_on")
    return f"""
        SELECT customer_id, order_id, net_now, owed FROM (
            SELECT customer_id, order_id, net_now, {owed_in_all} - {given_back} AS owed
            FROM (
                SELECT e.customer_id, e.order_id, e.points AS earned,
                       e.order_net AS earned_on, {order_net("o")} AS net_now,
                       COALESCE({_of_reversals("MIN(r.order_net)")}, e.order_net) AS accounted
                FROM {ledger} e
                JOIN {TABLES["orders"]} o ON o.id = e.order_id
                WHERE e.kind = 'earn'
                  AND (o.status IN ('{ENDED[0]}', '{ENDED[1]}') OR o.refunded_amount > 0)
            ) earned
            WHERE net_now < accounted
        ) pending
        WHERE owed > 0
    """


def points_expire(as_of: date) -> PointsRun:
    """Expire the unspent part of every earning due by the end of ``as_of``, oldest first.

    Looks only at earnings due since the previous run's watermark, so a second run over
    the same date writes nothing; fully spent earnings get no line.
    """
    with transaction.atomic(durable=True):
        rules = settings_lock()
        until = end_of_day(as_of)
        since = rules.points_expired_through
        if since is not None and since >= until:
            return PointsRun(PointsEntry.Kind.EXPIRE, 0, 0)
        due, due_params = _due_earnings(since, until)
        balances_lock(f"SELECT customer_id FROM ({due}) d", due_params)
        run = _stage_and_apply(PointsEntry.Kind.EXPIRE, *_expiry_select(due, due_params), as_of)
        LoyaltySettings.objects.filter(pk=1).update(points_expired_through=until)
        return run


def _due_earnings(since: datetime | None, until: datetime) -> tuple[str, list[Any]]:
    where = "kind = 'earn' AND expires_at < %s"
    params = [param(until)]
    if since is not None:
        where += " AND expires_at >= %s"
        params.append(param(since))
    return f"SELECT id, customer_id FROM {TABLES['ledger']} WHERE {where}", params


def _expiry_select(due: str, params: list[Any]) -> tuple[str, list[Any]]:
    ledger = TABLES["ledger"]
    customers = f"SELECT customer_id FROM ({due}) d"
    fifo = "e.expires_at IS NULL, e.expires_at, e.id"
    unspent = least("amount", greatest("through - COALESCE(spent, 0)", "0"))
    select = f"""
        SELECT customer_id, -unspent, NULL, id, NULL, NULL FROM (
            SELECT c.id, c.customer_id, {unspent} AS unspent
            FROM (
                SELECT e.id, e.customer_id, e.amount,
                       SUM(e.amount) OVER (PARTITION BY e.customer_id ORDER BY {fifo}) AS through
                FROM (
                    SELECT id, customer_id, expires_at,
                           points + CASE WHEN kind = 'earn'
                                         THEN COALESCE({_of_reversals("SUM(r.points)", "e0")}, 0)
                                         ELSE 0 END AS amount
                    FROM {ledger} e0
                    WHERE (kind = 'earn' OR (kind = 'adjust' AND points > 0))
                      AND customer_id IN ({customers})
                ) e
            ) c
            LEFT JOIN (
                SELECT customer_id, -SUM(points) AS spent FROM {ledger}
                WHERE (kind IN ('redeem', 'expire') OR (kind = 'adjust' AND points < 0))
                  AND customer_id IN ({customers})
                GROUP BY customer_id
            ) d ON d.customer_id = c.customer_id
            WHERE c.id IN (SELECT id FROM ({due}) due)
        ) expiring
        WHERE unspent > 0
    """
    return select, [*params, *params, *params]


def _of_reversals(aggregate: str, earning: str = "e") -> str:
    """SQL of ``aggregate`` over the reversals of the ``earning`` line's order.

    A subquery per earning, answered by the reversals' unique index: the plan stays an
    index probe per earning even when the statistics have not yet seen the reversals a
    run has just written (a join planned for one reversal, which met thousands, scanned
    them all for every earning).
    """
    return (
        f"(SELECT {aggregate} FROM {TABLES['ledger']} r "
        f"WHERE r.order_id = {earning}.order_id AND r.kind = 'reverse')"
    )


def _stage_and_apply(
    kind: str, select: str, params: list[Any], as_of: date, *, careful: bool = False
) -> PointsRun:
    """Stage ``select``'s ledger lines, insert them, and move the balances by their sums.

    ``select`` yields ``(customer_id, points, order_id, expired_entry_id, expires_at,
    order_net)``.
    The lines are stamped with the end of ``as_of`` or now, whichever is earlier (a run
    over a past date records its lines on that date). Earnings are fitted under the
    balances' limit when the check says they might not fit, or when ``careful``.
    """
    stamp = param(min(timezone.now(), end_of_day(as_of)))
    ledger, balance = TABLES["ledger"], TABLES["balance"]
    earning = kind == PointsEntry.Kind.EARN
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(_stage_ddl())
        cursor.execute(f"INSERT INTO {STAGE} {select}", params)
        entries, points, largest = _staged_totals(cursor, with_largest_balance=earning)
        if earning and (careful or not _balances_have_room(points, largest)):
            entries, points = _earnings_fit(cursor)
        cursor.execute(
            f"INSERT INTO {ledger} (customer_id, kind, points, order_id, expired_entry_id, "
            "reason, created_at, expires_at, order_net) "
            f"SELECT customer_id, %s, points, order_id, expired_entry_id, '', %s, expires_at, "
            f"order_net FROM {STAGE} ORDER BY customer_id, order_id, expired_entry_id",
            [kind, stamp],
        )
        # A row for customers new to the ledger, then one UPDATE moves every balance (an
        # upsert would check the CHECK against the staged sum alone, before the conflict).
        cursor.execute(
            f"INSERT INTO {balance} (customer_id, balance, updated_at) "
            f"SELECT DISTINCT customer_id, 0, %s FROM {STAGE} WHERE 1 = 1 "
            "ON CONFLICT (customer_id) DO NOTHING",
            [stamp],
        )
        cursor.execute(
            f"UPDATE {balance} SET balance = {balance}.balance + moved.points, updated_at = %s "
            f"FROM (SELECT customer_id, SUM(points) AS points FROM {STAGE} "
            "GROUP BY customer_id) moved "
            f"WHERE {balance}.customer_id = moved.customer_id AND moved.points <> 0",
            [stamp],
        )
        cursor.execute(f"DROP TABLE {STAGE}")
    return PointsRun(kind, entries, points)


def _staged_totals(cursor: Any, *, with_largest_balance: bool) -> tuple[int, int, int]:
    """Lines and points staged, and (if asked) the largest balance of any customer."""
    largest = "0"
    if with_largest_balance:
        # Every balance, not only the staged customers': a scan of a narrow table is
        # cheaper than a join with a first run's millions of earnings.
        largest = f"(SELECT COALESCE(MAX(balance), 0) FROM {TABLES['balance']})"
    cursor.execute(f"SELECT COUNT(*), COALESCE(SUM(points), 0), {largest} FROM {STAGE}")
    entries, points, largest_balance = cursor.fetchone()
    return int(entries), int(points), int(largest_balance)


def _balances_have_room(staged_points: int, largest_balance: int) -> bool:
    """Whether every balance can take all the staged earnings at once (then none needs care)."""
    return largest_balance + staged_points <= INT64_MAX


def _earnings_fit(cursor: Any) -> tuple[int, int]:
    """Cut the staged earnings down to what fits under the limit, in order id order.

    The staged customers' balances are locked first, so no staff change moves them until
    the run commits. Returns the lines and points left.
    """
    balances_lock(f"SELECT customer_id FROM {STAGE}", [])
    before = "SUM(s.points) OVER (PARTITION BY s.customer_id ORDER BY s.order_id) - s.points"
    room = greatest(f"{INT64_MAX} - COALESCE(b.balance, 0) - ({before})", "0")
    cursor.execute(
        f"UPDATE {STAGE} SET points = fitted.points FROM ("
        f"SELECT s.order_id, {least('s.points', room)} AS points FROM {STAGE} s "
        f"LEFT JOIN {TABLES['balance']} b ON b.customer_id = s.customer_id) fitted "
        f"WHERE {STAGE}.order_id = fitted.order_id"
    )
    cursor.execute(f"DELETE FROM {STAGE} WHERE points = 0")
    entries, points, _ = _staged_totals(cursor, with_largest_balance=False)
    return entries, points


def _stage_ddl() -> str:
    moment = "timestamp with time zone" if on_postgres() else "datetime"
    return (
        f"CREATE TEMP TABLE {STAGE} (customer_id bigint NOT NULL, points bigint NOT NULL, "
        f"order_id bigint NULL, expired_entry_id bigint NULL, expires_at {moment} NULL, "
        "order_net numeric(12, 2) NULL)"
    )
