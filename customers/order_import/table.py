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
from operator import eq, is_not, itemgetter, le, lt

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
        moments, order_ids = self.placed_at, self.order_ids
        ends = []
        for moment, pick in ((min(moments), min), (max(moments), max)):
            at_moment = compress(order_ids, map(eq, moments, repeat(moment)))
            ends.append(_datetime_key(order_key(moment, pick(at_moment, key=_id_key))))
        return ends[0], ends[1]

    def without(self, dropped: set[int]) -> "OrderTable":
        """A copy without the orders at the positions in ``dropped``."""
        return self.subset([i not in dropped for i in range(len(self.rows))])

    def subset(self, keep: list[bool]) -> "OrderTable":
        """A copy with the orders whose position is true in ``keep``."""
        columns = {
            f.name: _kept(getattr(self, f.name), keep) for f in fields(self) if f.name != "currency"
        }
        return OrderTable(**columns, currency=self.currency)  # type: ignore[arg-type]  # columns holds each field's own kept list

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
        ids, order_ids = self.customer_ids, self.order_ids
        moments: list = self.placed_at  # text or datetimes, all of one kind
        order = time_order(moments, order_ids)
        latest = dict(zip(_picked(ids, order), order or range(len(ids)), strict=True))
        fills = _Fills(ids, order)
        # Plain UTC text starts with the day, and ISO days sort as text.
        days = [v[:10] for v in moments] if self.placed_as_text else list(map(local_day, moments))
        # Customers in order of first appearance, each with its earliest day: the pairs
        # go in from the latest day to the earliest, so the earliest is written last.
        acquired: dict[str, date | str] = dict.fromkeys(ids)  # type: ignore[assignment]  # None until update() below gives every id its day
        acquired.update(sorted(zip(ids, days, strict=True), key=itemgetter(1), reverse=True))
        first_rows = dict(zip(reversed(ids), reversed(self.rows), strict=True))
        emails, first_names, last_names = self.emails, self.first_names, self.last_names
        countries, channels, consents = self.countries, self.channels, self.consents
        # A column the file leaves empty (or lacks) has nothing to fill with.
        fill_email, fill_first, fill_last, fill_country, fill_channel = (
            fills.of(column) if any(column) else _nothing
            for column in (emails, first_names, last_names, countries, channels)
        )
        fill_consent = fills.of(consents, None)
        # Written out, not looped over the columns: this runs for every customer of a batch.
        for customer, day in acquired.items():
            i = latest[customer]
            email, first, last = emails[i], first_names[i], last_names[i]
            country, channel, consent = countries[i], channels[i], consents[i]
            yield (
                customer, _text(moments[i]), order_ids[i],
                email or None, None if email else fill_email(customer),
                first or None, None if first else fill_first(customer),
                last or None, None if last else fill_last(customer),
                country or None, None if country else fill_country(customer),
                channel or None, None if channel else fill_channel(customer),
                consent, None if consent is not None else fill_consent(customer),
                day, first_rows[customer],
            )  # fmt: skip


def _nothing(customer: str) -> None:
    return None


def order_key(placed_at: object, order_id: str) -> tuple:
    """Which of a customer's orders is the latest: by ``placed_at``, then by order id, the
    shorter first (shops number orders: O9 comes before O10)."""
    return (placed_at, len(order_id), order_id)


def time_order(moments: Sequence, order_ids: Sequence[str]) -> list[int] | None:
    """The positions of the rows by :func:`order_key` (rows of one order: in file order),
    or ``None`` when they are in that order already, as most files are.

    Checked in C on the times; only rows with the same time compare their order ids.
    """
    if all(map(lt, moments, islice(moments, 1, None))):
        return None
    if all(map(le, moments, islice(moments, 1, None))):
        same = compress(range(len(moments) - 1), map(eq, moments, islice(moments, 1, None)))
        if all(_id_key(order_ids[i]) <= _id_key(order_ids[i + 1]) for i in same):
            return None
    keys = list(zip(moments, map(len, order_ids), order_ids, strict=True))
    return sorted(range(len(keys)), key=keys.__getitem__)  # stable: file order


def _id_key(order_id: str) -> tuple[int, str]:
    return (len(order_id), order_id)


def _picked(values: Sequence, order: list[int] | None) -> Sequence:
    if order is None:
        return values
    return itemgetter(*order)(values) if len(order) > 1 else [values[order[0]]]


class _Fills:
    """Each customer's latest value of a column, among the rows that give one: made for a
    column only when some customer's latest row leaves it empty (most rows give it)."""

    def __init__(self, ids: Sequence[str], order: list[int] | None) -> None:
        self._ids = _picked(ids, order)
        self._order = order

    def of(self, column: Sequence, empty: object = "") -> Callable[[str], object]:
        """The lookup of ``customer``'s latest value of ``column`` that is not ``empty``."""
        made: dict | None = None

        def value(customer: str) -> object:
            nonlocal made
            if made is None:
                values = _picked(column, self._order)
                given = values if empty == "" else map(is_not, values, repeat(empty))
                made = dict(compress(zip(self._ids, values, strict=True), given))
            return made.get(customer)

        return value


def _datetime_key(key: tuple) -> tuple:
    placed_at, *rest = key
    moment = moment_from_text(placed_at, UTC) if isinstance(placed_at, str) else placed_at
    return (moment, *rest)


def _text(moment: object) -> object:
    return moment.isoformat() if isinstance(moment, datetime) else moment


def _decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value).quantize(CENT)  # type: ignore[arg-type]  # a total as decimal text


def _kept(column: list | None, keep: list[bool]) -> list | None:
    return None if column is None else list(compress(column, keep))
