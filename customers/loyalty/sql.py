"""What the loyalty SQL shares: dates, vendor differences, the tables' names.

The statements run on PostgreSQL and SQLite alike; the few spellings that differ
(``LEAST`` or ``MIN``, date arithmetic, row locks) come from here.
"""

import calendar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from customers.clv_runs.aggregate import end_of_day
from customers.models import (
    LoyaltySettings,
    LoyaltyStatus,
    LoyaltyTier,
    LoyaltyTierChange,
    Order,
    PointsBalance,
    PointsEntry,
)

TABLES = {
    "orders": Order._meta.db_table,
    "tier": LoyaltyTier._meta.db_table,
    "status": LoyaltyStatus._meta.db_table,
    "history": LoyaltyTierChange._meta.db_table,
    "ledger": PointsEntry._meta.db_table,
    "balance": PointsBalance._meta.db_table,
}

__all__ = ["add_months", "end_of_day", "settings_lock"]


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def add_months_to_instant(moment: datetime, months: int) -> datetime:
    local = timezone.localtime(moment)
    moved = add_months(local.date(), months)
    return timezone.make_aware(datetime.combine(moved, local.time().replace(tzinfo=None)))


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def least(*terms: str) -> str:
    return f"{'LEAST' if on_postgres() else 'MIN'}({', '.join(terms)})"


def greatest(*terms: str) -> str:
    return f"{'GREATEST' if on_postgres() else 'MAX'}({', '.join(terms)})"


def plus_days(column: str, days: int) -> str:
    """SQL for the date ``column`` plus ``days`` (an int from the settings, inlined)."""
    days = int(days)
    return f"({column} + {days})" if on_postgres() else f"date({column}, '{days:+d} days')"


def plus_months(column: str, months: int) -> str:
    """SQL for the timestamp ``column`` plus ``months`` calendar months."""
    months = int(months)
    if on_postgres():
        return f"({column} + interval '{months} months')"
    # Doubled %: the statement goes through the driver's parameter formatting.
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {column}, '{months:+d} months')"


def points_of(amount: str) -> str:
    """Whole points of a non-negative ``amount`` expression, rounded down (64-bit)."""
    if on_postgres():
        return f"CAST(FLOOR({amount}) AS bigint)"
    # SQLite keeps money as binary floats: 0.29 * 100 is 28.999...; nudge before truncating.
    return f"CAST(({amount}) + 0.000001 AS integer)"


def order_net(alias: str) -> str:
    """SQL of order ``alias``'s net revenue: total less refunds if completed, else 0.

    The raw-SQL form of :func:`customers.models.net_revenue` with its status rule.
    """
    net = f"({alias}.total - {alias}.refunded_amount)"
    if not on_postgres():
        net = f"ROUND({net}, 2)"  # SQLite subtracts binary floats: keep whole cents
    return f"CASE WHEN {alias}.status = 'completed' THEN {net} ELSE 0 END"


def points_share(points: str, part: str, whole: str) -> str:
    """Whole points of ``points x part / whole`` (non-negative terms), rounded down.

    Exact on PostgreSQL (integer division of numerics); on SQLite as :func:`points_of`.
    """
    if on_postgres():
        return f"DIV({points} * ({part}), {whole})"
    return points_of(f"{points} * ({part}) / {whole}")


def literal(value: Decimal | int) -> str:
    """A number from the database, inlined as a SQL literal (no text ever reaches SQL)."""
    if isinstance(value, int):
        return str(int(value))
    return format(Decimal(value), "f")


def param(value: Any) -> Any:
    """A date or datetime as the backend's driver wants it in a raw statement."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def settings_lock() -> LoyaltySettings:
    """The settings row, locked until the transaction ends: batch jobs run one at a time."""
    LoyaltySettings.load()
    return LoyaltySettings.objects.select_for_update().get(pk=1)


def balances_lock(customer_ids_sql: str, params: list[Any]) -> None:
    """Lock the balance rows of the customers the SQL selects, in id order (no deadlocks).

    Staff redemptions lock one balance row each; locking a batch's rows first, in one
    order, means the batch then reads balances nobody can lower under it. SQLite locks
    the whole database for a writer, so there is nothing to do there.
    """
    if not on_postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer_id FROM {TABLES['balance']} WHERE customer_id IN "
            f"({customer_ids_sql}) ORDER BY customer_id FOR UPDATE",
            params,
        )
