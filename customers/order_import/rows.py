"""Validate one CSV record into a :class:`ParsedRow`, or say precisely why it is rejected.

Everything here is pure Python and runs for every row, so it avoids per-row allocations it
does not need and caches date parsing (exports repeat the same dates many times).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from customers.order_import.errors import Rejection

MAX_ID_LENGTH = 64
MAX_AMOUNT = Decimal("9999999999.99")
STATUSES = frozenset({"completed", "refunded", "cancelled"})
BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
CURRENCY_CODES = frozenset(c.alpha_3 for c in pycountry.currencies)
COUNTRY_CODES = frozenset(c.alpha_2 for c in pycountry.countries)
CENT = Decimal("0.01")
_OPTIONAL_TEXT = (
    "email",
    "first_name",
    "last_name",
    "country",
    "channel",
    "marketing_consent",
    "currency",
    "status",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price",
)


@dataclass(slots=True)
class ParsedRow:
    """A row that passed every check on its own; values are clean Python objects."""

    row: int
    customer_id: str
    order_id: str
    placed_at: datetime
    amount: Decimal
    currency: str
    status: str
    email: str
    first_name: str
    last_name: str
    country: str
    channel: str
    marketing_consent: bool | None
    sku: str
    product_name: str
    category: str
    quantity: int
    unit_price: Decimal | None


class RowParser:
    """Turns raw records into :class:`ParsedRow` objects for one file layout.

    Runs for every row of files with millions of rows, so the common case (a valid row)
    takes a straight path with no per-column function calls; only a row that fails a quick
    check goes through the detailed validation that names every problem.
    """

    def __init__(self, columns: dict[str, int], base_currency: str, tz: ZoneInfo) -> None:
        self.columns = columns
        self.width = max(columns.values()) + 1
        self.base_currency = base_currency
        self.tz = tz
        self.parse_placed_at = _datetime_parser(tz)
        # A day of slack for shops whose clocks or time zones run ahead of ours.
        self.latest_placed_at = datetime.now(tz) + timedelta(days=1)
        self._optional = tuple((name, columns[name]) for name in _OPTIONAL_TEXT if name in columns)

    def parse(self, row: int, fields: list[str]) -> ParsedRow | list[Rejection]:
        """Validate ``fields``; return the parsed row or every reason it is rejected."""
        values = {name: fields[i].strip() for name, i in self.columns.items()}
        quick = self._quick(row, values)
        return quick if quick is not None else self._detailed(row, values)

    def _quick(self, row: int, values: dict[str, str]) -> ParsedRow | None:
        """The straight path: ``None`` as soon as anything looks wrong."""
        customer_id = values["customer_id"]
        order_id = values["order_id"]
        if not (_plain_identifier(customer_id) and _plain_identifier(order_id)):
            return None
        try:
            placed_at = self.parse_placed_at(values["placed_at"])
            amount = Decimal(values["amount"])
        except (ValueError, InvalidOperation):
            return None
        if placed_at > self.latest_placed_at or not _plain_money(amount):
            return None
        optional = {name: values[name] for name, _ in self._optional if values[name]}
        if optional and not _optional_ok(optional):
            return None
        currency = optional.get("currency", "").upper() or self.base_currency
        status = optional.get("status", "completed").lower()
        if currency != self.base_currency or status not in STATUSES:
            return None
        sku = optional.get("sku", "")
        quantity = int(optional["quantity"]) if "quantity" in optional else 1
        unit_price = Decimal(optional["unit_price"]) if "unit_price" in optional else None
        if sku and unit_price is not None and unit_price * quantity != amount:
            return None
        return ParsedRow(
            row,
            customer_id,
            order_id,
            placed_at,
            amount.quantize(CENT),
            currency,
            status,
            optional.get("email", ""),
            optional.get("first_name", "")[:150],
            optional.get("last_name", "")[:150],
            optional.get("country", "").upper(),
            optional.get("channel", "")[:100],
            BOOLEANS.get(optional.get("marketing_consent", "").lower()),
            sku,
            optional.get("product_name", "")[:200],
            optional.get("category", "")[:100],
            quantity,
            unit_price.quantize(CENT) if unit_price is not None else None,
        )

    def _detailed(self, row: int, values: dict[str, str]) -> ParsedRow | list[Rejection]:
        order_id = values["order_id"]
        problems: list[tuple[str, str, str]] = []

        def reject(column: str, reason: str) -> None:
            problems.append((column, values.get(column, ""), reason))

        customer_id = _identifier(values["customer_id"], "customer_id", reject)
        _identifier(order_id, "order_id", reject)
        placed_at = self._placed_at(values["placed_at"], reject)
        amount = _money(values["amount"], "amount", reject, required=True)
        currency = self._currency(values.get("currency", ""), reject)
        status = _status(values.get("status", ""), reject)
        email = _email(values.get("email", ""), reject)
        country = _country(values.get("country", ""), reject)
        consent = _consent(values.get("marketing_consent", ""), reject)
        quantity = _quantity(values.get("quantity", ""), reject)
        unit_price = _money(values.get("unit_price", ""), "unit_price", reject, required=False)
        sku = values.get("sku", "")
        if len(sku) > MAX_ID_LENGTH:
            reject("sku", f"longer than {MAX_ID_LENGTH} characters")
        elif not sku.isprintable():
            reject("sku", "contains a control character")
        if not sku and (values.get("product_name") or values.get("category")):
            reject("sku", "product_name or category given without a sku")
        if (
            sku
            and unit_price is not None
            and amount is not None
            and quantity is not None
            and unit_price * quantity != amount
        ):
            reject("amount", f"does not equal quantity {quantity} × unit_price {unit_price}")
        if problems:
            return [Rejection(row, c, v[:200], r, order_id[:MAX_ID_LENGTH]) for c, v, r in problems]
        assert placed_at is not None
        assert amount is not None
        assert quantity is not None
        return ParsedRow(
            row,
            customer_id,
            order_id,
            placed_at,
            amount,
            currency,
            status,
            email,
            values.get("first_name", "")[:150],
            values.get("last_name", "")[:150],
            country,
            values.get("channel", "")[:100],
            consent,
            sku,
            values.get("product_name", "")[:200],
            values.get("category", "")[:100],
            quantity,
            unit_price,
        )

    def width_problem(self, row: int, fields: list[str]) -> Rejection | None:
        """A row too short to hold every known column is malformed (often a quoting error)."""
        if len(fields) >= self.width:
            return None
        i = self.columns["order_id"]
        order_id = fields[i].strip() if i < len(fields) else ""
        return Rejection(
            row, "", "", f"has {len(fields)} field(s), the header has {self.width}", order_id
        )

    def _placed_at(self, value: str, reject) -> datetime | None:
        if not value:
            reject("placed_at", "missing")
            return None
        try:
            placed_at = self.parse_placed_at(value)
        except ValueError:
            reject("placed_at", "not a date or date-time (use YYYY-MM-DD or ISO 8601)")
            return None
        if placed_at > self.latest_placed_at:
            reject("placed_at", "is in the future")
            return None
        return placed_at

    def _currency(self, value: str, reject) -> str:
        code = value.upper()
        if not code or code == self.base_currency:
            return self.base_currency
        if code not in CURRENCY_CODES:
            reject("currency", "unknown currency code (expected ISO 4217, like USD)")
        else:
            reject("currency", f"the shop's currency is {self.base_currency}; convert it first")
        return code


def _plain_identifier(value: str) -> bool:
    return 0 < len(value) <= MAX_ID_LENGTH and value.isprintable()


def _optional_ok(optional: dict[str, str]) -> bool:
    """Cheap checks of the optional columns; the detailed path says what is wrong."""
    get = optional.get
    email, country, consent = get("email"), get("country"), get("marketing_consent")
    sku, quantity, unit_price = get("sku", ""), get("quantity"), get("unit_price")
    return (
        (email is None or _email_ok(email))
        and (country is None or country.upper() in COUNTRY_CODES)
        and (consent is None or consent.lower() in BOOLEANS)
        and (bool(sku) or not (get("product_name") or get("category")))
        and len(sku) <= MAX_ID_LENGTH
        and sku.isprintable()
        and (quantity is None or (quantity.isdigit() and int(quantity) >= 1))
        and (unit_price is None or _money_ok(unit_price))
    )


# Plain ASCII addresses (nearly all of them) in a form Django's validator certainly accepts;
# anything else (quoted names, IDN domains, IP literals, mistakes) gets the full validator.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    re.IGNORECASE,
)


def _email_ok(email: str) -> bool:
    if len(email) <= 254 and _PLAIN_EMAIL.fullmatch(email):
        return True
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def _money_ok(value: str) -> bool:
    try:
        return _plain_money(Decimal(value))
    except InvalidOperation:
        return False


def _plain_money(amount: Decimal) -> bool:
    """Finite, not negative, at most two decimal places, within the column's range."""
    return (
        amount.is_finite()
        and amount >= 0
        and amount.as_tuple().exponent >= -2  # type: ignore[operator]
        and amount <= MAX_AMOUNT
    )


def parse_moment(value: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 date or date-time; one without offset is in ``tz``."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _datetime_parser(tz: ZoneInfo):
    @lru_cache(maxsize=4096)
    def parse(value: str) -> datetime:
        return parse_moment(value, tz)

    return parse


def _identifier(value: str, column: str, reject) -> str:
    if not value:
        reject(column, "missing")
    elif len(value) > MAX_ID_LENGTH:
        reject(column, f"longer than {MAX_ID_LENGTH} characters")
    elif not value.isprintable():
        reject(column, "contains a control character")
    return value


def _money(value: str, column: str, reject, *, required: bool) -> Decimal | None:
    if not value:
        if required:
            reject(column, "missing")
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        reject(column, "not a number (use a dot as decimal separator, no currency sign)")
        return None
    if not amount.is_finite():
        reject(column, "not a number (use a dot as decimal separator, no currency sign)")
        return None
    if amount < 0:
        reject(column, "negative (refunds are orders with status refunded)")
        return None
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        reject(column, "more than 2 decimal places")
        return None
    if amount > MAX_AMOUNT:
        reject(column, f"larger than {MAX_AMOUNT}")
        return None
    return amount.quantize(CENT)


def _status(value: str, reject) -> str:
    status = value.lower() or "completed"
    if status not in STATUSES:
        reject("status", "unknown status (expected completed, refunded or cancelled)")
    return status


def _email(value: str, reject) -> str:
    if value and not _email_ok(value):
        reject("email", "not a valid email address")
    return value


def _country(value: str, reject) -> str:
    code = value.upper()
    if code and code not in COUNTRY_CODES:
        reject("country", "unknown country code (expected ISO 3166 alpha-2, like DE)")
    return code


def _consent(value: str, reject) -> bool | None:
    if not value:
        return None
    consent = BOOLEANS.get(value.lower())
    if consent is None:
        reject("marketing_consent", "expected true or false")
    return consent


def _quantity(value: str, reject) -> int | None:
    if not value:
        return 1
    try:
        quantity = int(value)
    except ValueError:
        reject("quantity", "not a whole number")
        return None
    if quantity < 1:
        reject("quantity", "must be at least 1")
        return None
    return quantity
