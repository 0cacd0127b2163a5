"""One-row orders of a batch held column by column, as the set-based writer sends them.

The fast lane fills an :class:`OrderTable` straight from the file's columns, without an
object per row; the row-by-row lane's drafts convert into one. The customers' rows are
derived from the columns with dict operations in C, which cost a fraction of a loop.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import compress, islice, repeat
from operator import is_not, itemgetter, le

from clvcrm.core.input_values import moment_from_text
from customers.order_import.batches import OrderDraft
from customers.order_import.rows import CENT, ParsedRow

# The customer columns of a file, in the order of the stage table's value columns.
DETAILS = ("email", "first_name", "last_name", "country", "channel", "marketing_consent")


@dataclass(slots=True)
class OrderTable:
    """Aligned columns, one entry per order; every order here has exactly one row.

    ``totals`` (and ``refunds``) are plain decimal strings (``"12.5"``, ``""`` for no
    refund given) or Decimals (``None``); ``placed_at`` holds datetimes or, from the fast
    lane in a shop on UTC, the file's plain ISO text without offset (see
    ``columnar._moments_as_text``), all of one shape so that text order is time order;
    ``placed_texts`` is the file's text, for messages. Customer columns hold ``""`` (or
    ``None`` for the consent) where the file left the cell empty; ``refunds`` is ``None``
    when the file has no such column.
    """

    rows: list[int]
    customer_ids: list[str]
    order_ids: list[str]
    placed_at: list[datetime] | list[str]
    placed_texts: list[str]
    totals: list
    refunds: list | None
    statuses: list[str]
    emails: list[str]
    first_names: list[str]
    last_names: list[str]
    countries: list[str]
    channels: list[str]
    consents: list[bool | None]
    currency: str

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def from_drafts(cls, drafts: list[OrderDraft], currency: str) -> "OrderTable":
        """The drafts of one-row orders (no lines) as columns."""
        rows = [d.rows[0] for d in drafts]
        refunds = [d.refunded_amount for d in drafts]
        return cls(
            [r.row for r in rows],
            [d.customer_id for d in drafts],
            [d.order_id for d in drafts],
            [d.placed_at for d in drafts],
            [r.placed_at_text for r in rows],
            [d.total for d in drafts],
            refunds if any(r is not None for r in refunds) else None,
            [d.status for d in drafts],
            [r.email for r in rows],
            [r.first_name for r in rows],
            [r.last_name for r in rows],
            [r.country for r in rows],
            [r.channel for r in rows],
            [r.marketing_consent for r in rows],
            currency,
        )

    def drafts(self) -> list[OrderDraft]:
        """The orders as drafts, for the row-by-row writer (SQLite) and for comparisons."""
        drafts = []
        refunds = self.refunds if self.refunds is not None else repeat(None)
        for n, c, o, p, text, t, r, s, e, fn, ln, co, ch, consent in zip(
            self.rows,
            self.customer_ids,
            self.order_ids,
            self.placed_at,
            self.placed_texts,
            self.totals,
            refunds,
            self.statuses,
            self.emails,
            self.first_names,
            self.last_names,
            self.countries,
            self.channels,
            self.consents,
            strict=False,
        ):
            amount = _decimal(t)
            refund = _decimal(r) if r not in (None, "") else None
            moment = moment_from_text(p, UTC) if isinstance(p, str) else p
            row = ParsedRow(
                n, c, o, moment, amount, self.currency, s, e, fn, ln, co, ch, consent,
                "", "", "", 1, None, refund, text,
            )  # fmt: skip
            drafts.append(OrderDraft(o, c, moment, s, self.currency, amount, [], [row], refund))
        return drafts

    @property
    def placed_as_text(self) -> bool:
        return bool(self.placed_at) and isinstance(self.placed_at[0], str)

    def moment(self, index: int) -> datetime:
        value = self.placed_at[index]
        return moment_from_text(value, UTC) if isinstance(value, str) else value

    def total(self, index: int) -> Decimal:
        return _decimal(self.totals[index])

    def refund(self, index: int) -> Decimal | None:
        """The refunded amount the file gives for the order at ``index``, if it gives one."""
        value = None if self.refunds is None else self.refunds[index]
        return None if value in (None, "") else _decimal(value)

    def key_range(self) -> tuple[tuple, tuple] | None:
        """The first and the last of the orders by :func:`order_key` (times as datetimes)."""
        if not self.rows:
            return None
        keys = list(zip(self.placed_at, map(len, self.order_ids), self.order_ids, strict=True))
        return (_datetime_key(min(keys)), _datetime_key(max(keys)))

    def without(self, dropped: set[int]) -> "OrderTable":
        """A copy without the orders at the positions in ``dropped``."""
        return self.subset([i not in dropped for i in range(len(self.rows))])

    def subset(self, keep: list[bool]) -> "OrderTable":
        """A copy with the orders whose position is true in ``keep``."""
        columns = {
            f.name: _kept(getattr(self, f.name), keep) for f in fields(self) if f.name != "currency"
        }
        return OrderTable(**columns, currency=self.currency)

    def customer_rows(self, local_day: Callable[[datetime], date]) -> Iterator[tuple]:
        """One row per customer, by the latest-row rule (``customer_plans``).

        ``(external_id, latest_at, latest_order, email, email_fill, first_name,
        first_name_fill, last_name, last_name_fill, country, country_fill, channel,
        channel_fill, consent, consent_fill, acquired_on, first_row)``: the customer's latest order
        in the batch, each detail as its row gives it (``None`` where empty) and, where it
        is empty, the value of the latest row that gives it (to fill an empty detail);
        ``acquired_on`` is the earliest local order day, ``first_row`` the customer's first
        row in the file.
        """
        ids = self.customer_ids
        consents_given = list(map(is_not, self.consents, repeat(None)))
        columns = (
            (self.emails, self.emails),
            (self.first_names, self.first_names),
            (self.last_names, self.last_names),
            (self.countries, self.countries),
            (self.channels, self.channels),
            (self.consents, consents_given),
        )
        latest, fills = latest_rows(ids, self.placed_at, self.order_ids, columns)
        # Plain UTC text starts with the day, and ISO days sort as text.
        moments = self.placed_at
        days = [v[:10] for v in moments] if self.placed_as_text else list(map(local_day, moments))
        # Customers in order of first appearance, each with its earliest day: the pairs
        # go in from the latest day to the earliest, so the earliest is written last.
        acquired: dict[str, date | str] = dict.fromkeys(ids)  # type: ignore[arg-type]
        acquired.update(sorted(zip(ids, days, strict=True), key=itemgetter(1), reverse=True))
        order_ids = self.order_ids
        first_rows = dict(zip(reversed(ids), reversed(self.rows), strict=True))
        for customer, day in acquired.items():
            i = latest[customer]
            row: list = [customer, _text(moments[i]), order_ids[i]]
            for (values, given), fill in zip(columns, fills, strict=True):
                value = values[i] if given[i] else None
                row += (value, fill.get(customer) if value is None else None)
            yield (*row, day, first_rows[customer])


def order_key(placed_at: object, order_id: str) -> tuple:
    """Which of a customer's orders is the latest: by ``placed_at``, then by order id, the
    shorter first (shops number orders: O9 comes before O10)."""
    return (placed_at, len(order_id), order_id)


def latest_rows(
    ids: Sequence[str],
    placed_at: Sequence,
    order_ids: Sequence[str],
    columns: tuple[tuple[Sequence, Sequence], ...],
) -> tuple[dict[str, int], list[dict]]:
    """Each id's latest row (by :func:`order_key`; of one order's rows, the later in the
    file), and for each ``(values, given)`` column each id's value of the latest row that
    gives one.

    dict() keeps the last value of each key and compress drops the values not given, all
    in C: a loop in Python over the rows would cost more than the database's merge. Most
    files come in order of time; the others are put in it first.
    """
    keys = list(zip(placed_at, map(len, order_ids), order_ids, strict=True))
    positions: Sequence[int] = range(len(keys))
    if not all(map(le, keys, islice(keys, 1, None))):
        positions = sorted(positions, key=keys.__getitem__)  # stable: file order
        pick = itemgetter(*positions) if len(positions) > 1 else tuple
        ids = pick(ids)
        columns = tuple((pick(values), pick(given)) for values, given in columns)
    latest = dict(zip(ids, positions, strict=True))
    fills = [dict(compress(zip(ids, values, strict=True), given)) for values, given in columns]
    return latest, fills


def _datetime_key(key: tuple) -> tuple:
    placed_at, *rest = key
    moment = moment_from_text(placed_at, UTC) if isinstance(placed_at, str) else placed_at
    return (moment, *rest)


def _text(moment: object) -> object:
    return moment.isoformat() if isinstance(moment, datetime) else moment


def _decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value).quantize(CENT)  # type: ignore[arg-type]


def _kept(column: list | None, keep: list[bool]) -> list | None:
    return None if column is None else list(compress(column, keep))
