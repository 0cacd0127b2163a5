"""One-row orders of a batch held column by column, as the set-based writer sends them.

The fast lane fills an :class:`OrderTable` straight from the file's columns, without an
object per row; the row-by-row lane's drafts convert into one. Customers and email claims
are derived from the columns with dict comprehensions, which cost a fraction of a loop.
"""

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from itertools import compress
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
        first: dict[tuple[str, str], int] = {}
        pairs = zip(self.customer_ids, self.emails, strict=True)
        for pair, row in zip(pairs, self.rows, strict=True):
            if pair[1] and pair not in first:
                first[pair] = row
        return ((c, e, row) for (c, e), row in first.items())

    def customer_rows(self, local_day) -> Iterator[tuple]:
        """One row per customer: the last non-empty value of each column wins.

        ``(external_id, email, first_name, last_name, country, channel, consent,
        acquired_on)`` with ``None`` where no row gave a value; ``acquired_on`` is the
        earliest local order day.
        """
        ids = self.customer_ids
        emails = {c: v for c, v in zip(ids, self.emails, strict=True) if v}
        first_names = {c: v for c, v in zip(ids, self.first_names, strict=True) if v}
        last_names = {c: v for c, v in zip(ids, self.last_names, strict=True) if v}
        countries = {c: v for c, v in zip(ids, self.countries, strict=True) if v}
        channels = {c: v for c, v in zip(ids, self.channels, strict=True) if v}
        consents = {c: v for c, v in zip(ids, self.consents, strict=True) if v is not None}
        # Plain UTC text starts with the day, and ISO days sort as text.
        if self.placed_as_text:
            days = [v[:10] for v in self.placed_at]
        else:
            days = list(map(local_day, self.placed_at))
        acquired: dict[str, date | str] = {}
        for customer, day in zip(ids, days, strict=True):
            known = acquired.get(customer)
            if known is None or day < known:
                acquired[customer] = day
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
