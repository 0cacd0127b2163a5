"""The PostgreSQL writer: a batch goes to stage tables by COPY and is merged in SQL.

Comparing every order and customer with the stored ones row by row in Python cost most of
an import's time. Here the batch's one-row orders and its customers are copied into
temporary stage tables and a fixed handful of set-based statements does the rest: find
stored orders with the same id and other content, find addresses the batch would give a
customer that another has, update changed customers, insert new ones, apply status and
refund changes and insert new orders. Only the clashing rows come back to Python, to be
reported. Orders with lines keep the row-by-row writer (``writer.py``).

The caller holds the batch's transaction (or a savepoint) and the import lock.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from itertools import islice, repeat

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from clvcrm.core.bulk import copy_logged
from customers.order_import.batches import Batch
from customers.order_import.customer_plans import local_day_function
from customers.order_import.errors import Rejection, RowWarning
from customers.order_import.existing import CHANGEABLE, TAKEN_EMAIL, describe_differences
from customers.order_import.table import OrderTable

STAGE_SETUP = """
CREATE TEMP TABLE IF NOT EXISTS import_stage_order (
    idx int4 NOT NULL, external_id text NOT NULL, customer text NOT NULL,
    placed_at timestamptz NOT NULL, status text NOT NULL, total numeric(12, 2) NOT NULL,
    refunded numeric(12, 2)
);
CREATE TEMP TABLE IF NOT EXISTS import_stage_customer (
    external_id text NOT NULL, latest_at timestamptz NOT NULL, latest_order text NOT NULL,
    email text, email_fill text, first_name text, first_name_fill text,
    last_name text, last_name_fill text, country text, country_fill text,
    channel text, channel_fill text, marketing_consent bool, consent_fill bool,
    acquired_on date NOT NULL, first_row int8 NOT NULL
);
TRUNCATE import_stage_order, import_stage_customer;
SET LOCAL enable_hashjoin TO off;
SET LOCAL enable_mergejoin TO off;
SET LOCAL jit TO off
"""
# Stage tables carry no statistics; a batch is small next to the stored tables, so every
# join should probe their indexes. Hash and merge joins are switched off for the batch's
# statements because the planner, blind to the stage's size, might scan ten million
# orders instead; JOINS_RESTORED switches them back when the merge ends, since the
# transaction may go on (a first load's spans the whole import, and ends with foreign-key
# checks that need a hash join). JIT compilation is off too: blind to the stage's size, the
# planner can cost a batch's statement over its threshold, and compiling takes longer
# (close to a second) than running the statement.
JOINS_RESTORED = (
    "SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_mergejoin TO DEFAULT; "
    "SET LOCAL jit TO DEFAULT"
)

CSV_SLICE_ROWS = 1_000
ORDER_COLUMNS = "idx, external_id, customer, placed_at, status, total, refunded"
CUSTOMER_COLUMNS = (
    "external_id, latest_at, latest_order, email, email_fill, first_name, first_name_fill, "
    "last_name, last_name_fill, country, country_fill, channel, channel_fill, "
    "marketing_consent, consent_fill, acquired_on, first_row"
)

# The staged orders already stored: first a row with their number, then one row for each
# whose content differs (a status or refund change, to be applied, or a clash, to be
# rejected; a refund the file leaves empty keeps the stored one). The
# stored customer's external id tells whether the customer differs and names it. When
# every staged id sorts after the greatest stored one (shops number orders as they come),
# none can be stored: that test runs once (a one-time filter) and spares the probe of
# each id.
STORED_ORDERS = """
WITH stored AS MATERIALIZED (
    SELECT s.idx, s.customer AS file_customer, s.placed_at AS file_placed_at,
           s.total AS file_total, s.status AS file_status, s.refunded AS file_refunded,
           o.id, o.customer_id, o.placed_at, o.total, o.currency, o.status, o.refunded_amount
    FROM import_stage_order s
    JOIN customers_order o ON o.external_id = s.external_id
    WHERE ((SELECT min(external_id) FROM import_stage_order)
           > (SELECT max(external_id) FROM customers_order)) IS NOT TRUE
), lined AS (
    SELECT EXISTS (SELECT FROM customers_orderline) AS any_lines
)
SELECT -1, NULL, NULL, NULL, NULL, NULL, NULL, count(*) FROM stored
UNION ALL
SELECT stored.idx, owner.external_id, stored.placed_at, stored.total, stored.currency,
       stored.status, stored.refunded_amount,
       (SELECT count(*) FROM customers_orderline l WHERE l.order_id = stored.id)
FROM stored
CROSS JOIN lined
JOIN customers_customer owner ON owner.id = stored.customer_id
WHERE stored.status <> stored.file_status
   OR stored.refunded_amount <> stored.file_refunded
   OR owner.external_id <> stored.file_customer
   OR stored.placed_at <> stored.file_placed_at
   OR stored.total <> stored.file_total
   OR stored.currency <> %s
   OR (lined.any_lines AND EXISTS (SELECT FROM customers_orderline l WHERE l.order_id = stored.id))
"""

DROP_STAGED = "DELETE FROM import_stage_order WHERE idx = ANY(%s::int4[])"
NO_EMAIL = """
UPDATE import_stage_customer SET email = NULL, email_fill = NULL WHERE external_id = ANY(%s)
"""
EMAIL_ROUNDS = 4

NEW_CHANNELS = """
INSERT INTO customers_acquisitionchannel (name, created_at)
SELECT DISTINCT coalesce(channel, channel_fill), %s::timestamptz FROM import_stage_customer
WHERE coalesce(channel, channel_fill) IS NOT NULL
ON CONFLICT (name) DO NOTHING
"""

# One probe per customer, by the latest-row rule (``customer_plans``): the details of the
# customer's latest order in the batch replace the stored ones if that order is at least as
# new as the customer's latest stored order; any row fills an empty detail (``*_fill``:
# the latest row's value where the latest order leaves the detail empty); empty cells
# never erase; the earliest order day wins. The latest stored order is looked up only
# for customers whose details would change (``contested``): the lookup's condition is a
# one-time filter for everyone else. Only customers that are new or would change are sent
# to the upsert: ON CONFLICT locks (and so dirties and logs) the stored row even when
# nothing changes, and most of a large file's rows name customers stored and unchanged.
# The counts compare the written rows with the stored ones as the statement found them
# (all of one statement sees the same snapshot): a customer counts as updated only if
# stored before the import and not written since it began (%(started)s): once at most.
_CONTESTED = """(
        (s.email IS NOT NULL AND stored.email NOT IN ('', s.email))
        OR (s.first_name IS NOT NULL AND stored.first_name NOT IN ('', s.first_name))
        OR (s.last_name IS NOT NULL AND stored.last_name NOT IN ('', s.last_name))
        OR (s.country IS NOT NULL AND stored.country NOT IN ('', s.country))
        OR (s.channel IS NOT NULL AND ch.id <> stored.acquisition_channel_id)
        OR (s.marketing_consent IS NOT NULL AND s.marketing_consent <> stored.marketing_consent)
    )"""
_EMAIL_CONTESTED = "(s.email IS NOT NULL AND stored.email NOT IN ('', s.email))"
_LATEST_STORED_ORDER = """
    LEFT JOIN LATERAL (
        SELECT o.placed_at, o.external_id FROM customers_order o
        WHERE o.customer_id = stored.id AND {contested}
        ORDER BY o.placed_at DESC, length(o.external_id) DESC, o.external_id COLLATE "C" DESC
        LIMIT 1
    ) latest ON true"""
_NEWER = """(latest.placed_at IS NULL
        OR (s.latest_at, length(s.latest_order), s.latest_order COLLATE "C")
           >= (latest.placed_at, length(latest.external_id), latest.external_id COLLATE "C"))"""
# Each detail: a new customer's, or an empty one, from the latest order's row or else the
# latest row giving it; a stored one from the latest order's row if that order is newer.
# The stage's channel is the latest order's (``channel``) or else the latest given
# (``channel_fill``): ``ch`` is the one there is.
_TEXT_DETAIL = """
           CASE WHEN stored.id IS NULL OR stored.{name} = ''
                THEN coalesce(s.{name}, s.{name}_fill, '')
                WHEN s.{name} IS NOT NULL AND {{newer}} THEN s.{name}
                ELSE stored.{name} END AS {name}"""
_DETAILS = (
    ",".join(
        _TEXT_DETAIL.format(name=name) for name in ("email", "first_name", "last_name", "country")
    )
    + """,
           CASE WHEN stored.id IS NULL OR stored.acquisition_channel_id IS NULL THEN ch.id
                WHEN s.channel IS NOT NULL AND {newer} THEN ch.id
                ELSE stored.acquisition_channel_id END AS channel_id,
           CASE WHEN stored.id IS NULL THEN coalesce(s.marketing_consent, s.consent_fill, false)
                WHEN s.marketing_consent IS NOT NULL AND {newer} THEN s.marketing_consent
                ELSE stored.marketing_consent END AS marketing_consent"""
)


RESOLVED = """
    SELECT s.external_id, stored.id AS stored_id, stored.email AS stored_email,{details},
           least(s.acquired_on, stored.acquired_on) AS acquired_on,
           ROW(stored.email, stored.first_name, stored.last_name, stored.country,
               stored.acquisition_channel_id, stored.marketing_consent, stored.acquired_on)
               AS stored_row
    FROM import_stage_customer s
    LEFT JOIN customers_acquisitionchannel ch ON ch.name = coalesce(s.channel, s.channel_fill)
    LEFT JOIN customers_customer stored ON stored.external_id = s.external_id{latest_join}"""

# The emails the batch would give its customers (a new one, or another than stored) that
# another customer has: one stored with it that the batch does not move to another email,
# or else a customer of the batch with an earlier first row. An email a row gives but the
# latest-row rule does not take (an older order's) claims nothing.
EMAIL_CLASHES = """
WITH claim AS MATERIALIZED (
    SELECT external_id, email, lower(email) AS email_lower, stored_email,
           first_value(external_id) OVER (PARTITION BY lower(email) ORDER BY first_row)
               AS first_claimant
    FROM (
        SELECT s.external_id, s.first_row, stored.email AS stored_email,{email}
        FROM import_stage_customer s
        LEFT JOIN customers_customer stored ON stored.external_id = s.external_id{latest_join}
        WHERE coalesce(s.email, s.email_fill) IS NOT NULL
    ) resolved
    WHERE email <> '' AND lower(email) <> lower(coalesce(stored_email, ''))
)
SELECT claim.external_id, claim.email, coalesce(holder.external_id, claim.first_claimant)
FROM claim
LEFT JOIN customers_customer holder
    ON lower(holder.email) = claim.email_lower AND NOT holder.email = ''
   -- NOT IN, not NOT EXISTS: a subquery hashed once. With hash joins off for the batch
   -- (STAGE_SETUP), NOT EXISTS scanned every claim for each holder found, a cost growing
   -- with the square of the batch (5,000 new customers with taken emails: 4 s, now 40 ms).
   -- External ids are never NULL, so NOT IN means what NOT EXISTS would.
   AND holder.external_id NOT IN (SELECT moving.external_id FROM claim moving)
WHERE coalesce(holder.external_id, claim.first_claimant) <> claim.external_id
UNION ALL
SELECT NULL, NULL, count(*)::text FROM claim WHERE coalesce(stored_email, '') <> ''
"""

CUSTOMERS_UPSERT = """
WITH resolved AS ({resolved}
), written AS (
    INSERT INTO customers_customer AS c (
        external_id, email, first_name, last_name, country, marketing_consent, phone,
        acquisition_channel_id, acquired_on, created_at, updated_at
    )
    SELECT external_id, email, first_name, last_name, country, marketing_consent, '',
           channel_id, acquired_on, %(now)s, %(now)s
    FROM resolved
    WHERE stored_id IS NULL
       OR ROW(email, first_name, last_name, country, channel_id, marketing_consent,
              acquired_on) IS DISTINCT FROM stored_row{moving_first}
    ON CONFLICT (external_id) DO UPDATE SET
        email = EXCLUDED.email, first_name = EXCLUDED.first_name,
        last_name = EXCLUDED.last_name, country = EXCLUDED.country,
        marketing_consent = EXCLUDED.marketing_consent,
        acquisition_channel_id = EXCLUDED.acquisition_channel_id,
        acquired_on = EXCLUDED.acquired_on, updated_at = EXCLUDED.updated_at
    RETURNING c.id
)
SELECT count(*) FILTER (WHERE before.id IS NULL),
       count(*) FILTER (WHERE before.created_at < %(started)s
                          AND before.updated_at < %(started)s)
FROM written
LEFT JOIN customers_customer before ON before.id = written.id
"""


def _resolved(*, lookup: bool) -> str:
    """The customers as the batch would leave them; without ``lookup`` (every staged order
    is newer than every stored one, as in a first load that comes in time order) the latest
    rows win without asking."""
    details = _DETAILS.format(newer=_NEWER if lookup else "true")
    latest_join = _LATEST_STORED_ORDER.format(contested=_CONTESTED) if lookup else ""
    return RESOLVED.format(details=details, latest_join=latest_join)


def _email_clashes(*, lookup: bool) -> str:
    """EMAIL_CLASHES, resolving the email alone (the latest stored order only for
    customers whose address would change)."""
    email = _TEXT_DETAIL.format(name="email").format(newer=_NEWER if lookup else "true")
    latest_join = _LATEST_STORED_ORDER.format(contested=_EMAIL_CONTESTED) if lookup else ""
    return EMAIL_CLASHES.format(email=email, latest_join=latest_join)


EMAIL_CLASHES_SQL = {lookup: _email_clashes(lookup=lookup) for lookup in (True, False)}
# Unique addresses are checked row by row as the upsert goes: customers who give theirs up
# go first, when some do (the sort costs, so only then), so that another may take it.
MOVING_FIRST = "\n    ORDER BY coalesce(stored_email, '') NOT IN ('', email) DESC"
CUSTOMERS_UPSERTS = {
    (lookup, moving): CUSTOMERS_UPSERT.format(
        resolved=_resolved(lookup=lookup), moving_first=MOVING_FIRST if moving else ""
    )
    for lookup in (True, False)
    for moving in (True, False)
}

ORDER_CHANGES = """
UPDATE customers_order o SET status = s.status,
    refunded_amount = coalesce(s.refunded, o.refunded_amount)
FROM import_stage_order s
WHERE s.idx = ANY(%s::int4[]) AND o.external_id = s.external_id
"""

NEW_ORDERS = """
INSERT INTO customers_order (external_id, customer_id, placed_at, status, total,
                             refunded_amount, currency, created_at)
SELECT s.external_id, c.id, s.placed_at, s.status, s.total, coalesce(s.refunded, 0), %s, %s
FROM import_stage_order s
JOIN customers_customer c ON c.external_id = s.customer
"""
# When some staged orders are stored already: insert only the others.
ONLY_NEW = " WHERE NOT EXISTS (SELECT FROM customers_order o WHERE o.external_id = s.external_id)"


@dataclass
class Written:
    """What writing one batch (or part of one) did to orders and customers."""

    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    customers_created: int = 0
    customers_updated: int = 0

    def add(self, other: "Written") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(slots=True)
class StageText:
    """A batch's stage tables as CSV text (a few MB), made ahead by :func:`stage_text`."""

    orders: str
    customers: str


def stage_text(table: OrderTable) -> StageText:
    """The CSV text of ``table``'s stage tables.

    Made on the reading thread: Python work on the writer thread waits for the GIL while
    the reader validates, and it stands between the writer's statements, so every
    second of it there adds about two to the import's time.
    """
    return StageText(_csv(_order_rows(table)), _csv(table.customer_rows(local_day_function())))


def batch_merge(
    batch: Batch,
    table: OrderTable,
    text: StageText | None,
    *,
    started: datetime,
    lookup_latest: bool = True,
) -> Written:
    """Stage ``table`` and merge it into customers and orders; reject what clashes.

    Rejections are added to ``batch``. The statements run are the same for every batch
    of a file whatever its size: which ones depends only on whether some of the batch's
    orders are stored already and whether something is rejected or changes status.
    ``text`` is ``stage_text(table)``, if it was made ahead; ``started`` is when the
    import began (a customer counts as updated once per import). Without
    ``lookup_latest`` every order staged is newer than every order stored (a first load
    in time order): the customers' latest stored orders are not looked up.
    """
    text = text or stage_text(table)
    with connection.cursor() as cursor:
        cursor.execute(STAGE_SETUP)
        _copy(cursor, "import_stage_order", ORDER_COLUMNS, text.orders)
        cursor.execute(STORED_ORDERS, [table.currency])
        stored, changes, clashes = _sort_stored(table, cursor.fetchall())
        customers = text.customers
        rejected = _reject_order_clashes(batch, table, clashes)
        if rejected:
            cursor.execute(DROP_STAGED, [sorted(rejected)])
            table = table.without(rejected)
            customers = _csv(table.customer_rows(local_day_function()))
        _copy(cursor, "import_stage_customer", CUSTOMER_COLUMNS, customers)
        moving = _give_up_taken_emails(cursor, batch, table, lookup_latest)
        now = timezone.now()
        written = Written()
        cursor.execute(NEW_CHANNELS, [now])
        upsert = CUSTOMERS_UPSERTS[lookup_latest, moving]
        cursor.execute(upsert, {"now": now, "started": started})
        written.customers_created, written.customers_updated = cursor.fetchone()
        if changes:
            cursor.execute(ORDER_CHANGES, [changes])
            written.orders_updated = cursor.rowcount
        stored_left = stored - len(clashes)
        if stored_left < len(table):
            # The usual first import has no stored order: no need to look for one again.
            sql = NEW_ORDERS + (ONLY_NEW if stored_left else "")
            cursor.execute(sql, [table.currency, now])
            written.orders_created = cursor.rowcount
        written.orders_unchanged = len(table) - written.orders_created - written.orders_updated
        cursor.execute(JOINS_RESTORED)
    return written


def _give_up_taken_emails(
    cursor: CursorWrapper, batch: Batch, table: OrderTable, lookup_latest: bool
) -> bool:
    """Customers whose new address another customer has keep theirs; their rows with it
    are imported with a warning. A customer keeping their address can leave another's
    taken (addresses swapped): a few rounds settle it, the database backs the rest.
    Returns whether stored customers of the batch move to another address."""
    moving = False
    for _ in range(EMAIL_ROUNDS):
        cursor.execute(EMAIL_CLASHES_SQL[lookup_latest])
        found = cursor.fetchall()
        clashes = [row for row in found if row[0] is not None]
        moving = any(int(count) for customer, _, count in found if customer is None)
        if not clashes:
            break
        _warn_taken_emails(batch, table, clashes)
        cursor.execute(NO_EMAIL, [[customer for customer, _, _ in clashes]])
    return moving


def _sort_stored(table: OrderTable, found: list[tuple]) -> tuple[int, list[int], list[tuple]]:
    """The number of stored orders, the status or refund changes and the clashes."""
    stored, changes, clashes = 0, [], []
    for i, owner, placed_at, total, currency, status, refunded, lines in found:
        if i < 0:
            stored = lines
            continue
        differences = {
            "customer_id": (table.customer_ids[i], owner),
            "placed_at": (table.moment(i), placed_at),
            "total": (table.total(i), total),
            "currency": (table.currency, currency),
            "lines": ([], [None] * lines),
            "status": (table.statuses[i], status),
        }
        file_refund = table.refund(i)
        if file_refund is not None:  # else the file does not say: the stored one stays
            differences["refunded_amount"] = (file_refund, refunded)
        differing = {name: pair for name, pair in differences.items() if pair[0] != pair[1]}
        if "placed_at" in differing:  # shown as the file wrote it
            differing["placed_at"] = (table.placed_texts[i], placed_at)
        if differing.keys() <= CHANGEABLE:
            if differing:
                changes.append(i)
        else:
            clashes.append((i, differing))
    return stored, sorted(changes), sorted(clashes, key=lambda c: c[0])


def _order_rows(table: OrderTable) -> Iterable[tuple]:
    placed_at = table.placed_at
    if not table.placed_as_text:
        placed_at = [p.isoformat() for p in placed_at]  # type: ignore[union-attr]  # not placed_as_text: datetimes
    refunds = table.refunds if table.refunds is not None else repeat(None, len(table))
    return zip(
        range(len(table)),
        table.order_ids,
        table.customer_ids,
        placed_at,
        table.statuses,
        table.totals,
        refunds,
        strict=True,
    )


def _csv(rows: Iterable[tuple]) -> str:
    """``rows`` as CSV; an empty cell or ``None`` arrives in PostgreSQL as NULL.

    Written in slices: one call of writerows holds the GIL until it returns, and the
    writer thread, back from each statement, would wait for all of it.
    """
    buffer = io.StringIO()
    writerows = csv.writer(buffer).writerows
    rows = iter(rows)
    while part := list(islice(rows, CSV_SLICE_ROWS)):
        writerows(part)
    return buffer.getvalue()


def _copy(cursor: CursorWrapper, stage: str, columns: str, text: str) -> None:
    """COPY CSV ``text`` into the stage table."""
    with copy_logged(cursor, f"COPY {stage} ({columns}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(text)


def _warn_taken_emails(batch: Batch, table: OrderTable, clashes: list[tuple]) -> None:
    owners = {(customer, email.lower()): owner for customer, email, owner in clashes}
    for i, (customer, email) in enumerate(zip(table.customer_ids, table.emails, strict=True)):
        owner = owners.get((customer, email.lower()))
        if owner is not None:
            reason = TAKEN_EMAIL.format(owner=owner)
            batch.warnings.append(
                RowWarning(table.rows[i], "email", email, reason, table.order_ids[i])
            )


def _reject_order_clashes(batch: Batch, table: OrderTable, clashes: list[tuple]) -> set[int]:
    """Reject the orders stored already with other content."""
    for i, differing in clashes:
        reason = f"duplicate order id with different content ({describe_differences(differing)})"
        order_id = table.order_ids[i]
        batch.reject(Rejection(table.rows[i], "order_id", order_id, reason, order_id))
    return {i for i, _ in clashes}
