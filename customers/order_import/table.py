"""One-row orders of a batch held column by column, as the set-based writer sends them.

The fast lane fills an :class:`OrderTable` straight from the file's columns, without an
object per row; the row-by-row lane's drafts convert into one. Customers and email claims
are derived from the columns with dict comprehensions, which cost a fraction of a loop.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from itertools import compress, repeat
from operator import is_not, itemgetter
from zoneinfo import ZoneInfo

from customers.order_import.batches import OrderDraft
from customers.order_import.rows import CENT, ParsedRow, parse_moment

UTC = ZoneInfo("UTC")


@dataclass(slots=True)
class OrderTable:
    """Aligned columns, one entry per order; every order here has exactly one row.

    ``totals`` are plain decimal strings (``"12.5"``) or Decimals; ``placed_at`` holds
    datetimes or, from the fast lane in a shop on UTC, the file's plain ISO text without
    offset (see ``columnar._moments_as_text``); customer columns hold ``""`` (or ``None``
    for the consent) where the file left the cell empty.
    """

    rows: list[int]
    customer_ids: list[str]
    order_ids: list[str]
    placed_at: list[datetime] | list[str]
    totals: list
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
        return cls(
            [r.row for r in rows],
            [d.customer_id for d in drafts],
            [d.order_id for d in drafts],
            [d.placed_at for d in drafts],
            [d.total for d in drafts],
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
        for n, c, o, p, t, s, e, fn, ln, co, ch, consent in zip(
            self.rows,
            self.customer_ids,
            self.order_ids,
            self.placed_at,
            self.totals,
            self.statuses,
            self.emails,
            self.first_names,
            self.last_names,
            self.countries,
            self.channels,
            self.consents,
            strict=True,
        ):
            amount = t if isinstance(t, Decimal) else Decimal(t).quantize(CENT)
            p = parse_moment(p, UTC) if isinstance(p, str) else p
            currency = self.currency
            row = ParsedRow(
                n, c, o, p, amount, currency, s, e, fn, ln, co, ch, consent, "", "", "", 1, None
            )
            drafts.append(OrderDraft(o, c, p, s, self.currency, amount, [], [row]))
        return drafts

    @property
    def placed_as_text(self) -> bool:
        return bool(self.placed_at) and isinstance(self.placed_at[0], str)

    def moment(self, index: int) -> datetime:
        value = self.placed_at[index]
        return parse_moment(value, UTC) if isinstance(value, str) else value

    def total(self, index: int) -> Decimal:
        value = self.totals[index]
        return value if isinstance(value, Decimal) else Decimal(value).quantize(CENT)

    def without(self, dropped: set[int]) -> "OrderTable":
        """A copy without the orders at the positions in ``dropped``."""
        keep = [i not in dropped for i in range(len(self.rows))]
        columns = {
            f.name: list(compress(getattr(self, f.name), keep))
            for f in fields(self)
            if f.name != "currency"
        }
        return OrderTable(**columns, currency=self.currency)

    def email_claims(self) -> Iterator[tuple[str, str, int]]:
        """``(customer_id, email, first row)`` for each distinct pair of the batch."""
        pairs = list(zip(self.customer_ids, self.emails, strict=True))
        # Built from the end, so each pair's earliest row is the one that stays; the
        # order of first appearance comes from fromkeys. No Python loop over the rows.
        first: dict[tuple[str, str], int] = dict.fromkeys(pairs, 0)
        first.update(zip(reversed(pairs), reversed(self.rows), strict=True))
        return ((c, e, row) for (c, e), row in first.items() if e)

    def customer_rows(self, local_day) -> Iterator[tuple]:
        """One row per customer: the last non-empty value of each column wins.

        ``(external_id, email, first_name, last_name, country, channel, consent,
        acquired_on)`` with ``None`` where no row gave a value; ``acquired_on`` is the
        earliest local order day.
        """
        ids = self.customer_ids
        emails = _last_given(ids, self.emails)
        first_names = _last_given(ids, self.first_names)
        last_names = _last_given(ids, self.last_names)
        countries = _last_given(ids, self.countries)
        channels = _last_given(ids, self.channels)
        consents = _last_given(ids, self.consents, map(is_not, self.consents, repeat(None)))
        # Plain UTC text starts with the day, and ISO days sort as text.
        if self.placed_as_text:
            days = [v[:10] for v in self.placed_at]
        else:
            days = list(map(local_day, self.placed_at))
        # Customers in order of first appearance, each with its earliest day: the pairs
        # go in from the latest day to the earliest, so the earliest is written last.
        acquired: dict[str, date | str] = dict.fromkeys(ids)  # type: ignore[arg-type]
        acquired.update(sorted(zip(ids, days, strict=True), key=itemgetter(1), reverse=True))
        get = dict.get
        return (
            (
                c,
                get(emails, c),
                get(first_names, c),
                get(last_names, c),
                get(countries, c),
                get(channels, c),
                get(consents, c),
                day,
            )
            for c, day in acquired.items()
        )


def _last_given(ids: list[str], values: list, given: Iterable | None = None) -> dict:
    """Each customer's last value among those ``given`` (by default: the non-empty ones).

    dict() keeps the last value of each key and compress drops the others, all in C: a
    loop in Python over the rows would cost more than the database's merge.
    """
    return dict(compress(zip(ids, values, strict=True), values if given is None else given))
