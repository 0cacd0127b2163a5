"""Validate one CSV record into a :class:`ParsedRow`, or say precisely why it is rejected.

Everything here is pure Python and runs for every row, so it avoids per-row allocations it
does not need and caches date parsing (exports repeat the same dates many times). Numbers
and dates are read by ``clvcrm.core.input_values`` (ASCII only, within what the columns
hold); text is measured against the model fields that store it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import TypeVar

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import DecimalField, Field, Model

from clvcrm.core.input_values import (
    NEGATIVE,
    InputValueError,
    decimal_for_field,
    integer_from_text,
    integer_range_of,
    moment_from_text,
    plain_decimal_pattern,
)
from customers.models import AcquisitionChannel, Customer, Order, OrderLine, Product
from customers.order_import.errors import Rejection, RowWarning

STATUSES = frozenset({"completed", "refunded", "cancelled"})
BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
CURRENCY_CODES = frozenset(c.alpha_3 for c in pycountry.currencies)
COUNTRY_CODES = frozenset(c.alpha_2 for c in pycountry.countries)
CENT = Decimal("0.01")


def _field(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _decimal_field(model: type[Model], name: str) -> DecimalField:
    field = _field(model, name)
    assert isinstance(field, DecimalField)
    return field


TOTAL_FIELD = _decimal_field(Order, "total")
REFUND_FIELD = _decimal_field(Order, "refunded_amount")
UNIT_PRICE_FIELD = _decimal_field(OrderLine, "unit_price")
QUANTITY_RANGE = (1, integer_range_of(_field(OrderLine, "quantity"))[1])
# Text the fast checks take as it is; anything else goes through decimal_for_field.
PLAIN_AMOUNT = plain_decimal_pattern(TOTAL_FIELD)
PLAIN_REFUND = plain_decimal_pattern(REFUND_FIELD)
PLAIN_UNIT_PRICE = plain_decimal_pattern(UNIT_PRICE_FIELD)
PLAIN_QUANTITY = re.compile(r"[1-9][0-9]{0,8}")  # 1 to 999,999,999: within the column
UNIT_PRICE_PLACES = Decimal(1).scaleb(-UNIT_PRICE_FIELD.decimal_places)


def _max_length(model: type[Model], name: str) -> int:
    length = _field(model, name).max_length
    assert length is not None
    return length


# Identifiers longer than their column are rejected: cut short, two could become one.
IDENTIFIER_LENGTHS = {
    "customer_id": _max_length(Customer, "external_id"),
    "order_id": _max_length(Order, "external_id"),
    "sku": _max_length(Product, "sku"),
}
EMAIL_LENGTH = _max_length(Customer, "email")
# Descriptions longer than their column are cut to it, with a warning: the order they come
# with still counts, and a later file can give the full text.
TEXT_LENGTHS = {
    "first_name": _max_length(Customer, "first_name"),
    "last_name": _max_length(Customer, "last_name"),
    "channel": _max_length(AcquisitionChannel, "name"),
    "product_name": _max_length(Product, "name"),
    "category": _max_length(Product, "category"),
}
_OPTIONAL_TEXT = (
    "order_total",
    "refunded_amount",
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
NEGATIVE_AMOUNT = "negative (a refund goes in refunded_amount, or the status refunded)"


@dataclass(slots=True)
class ParsedRow:
    """A row that passed every check on its own; values are clean Python objects.

    ``placed_at_text`` is the cell as the file wrote it, for messages; ``warnings`` say
    what was changed to import the row (a text cut to its column's length).
    """

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
    refunded_amount: Decimal | None
    placed_at_text: str
    warnings: tuple[RowWarning, ...] = ()
    # On line rows: the order's total when it is not the sum of its lines (shipping, taxes,
    # discounts: a shop export's order total); None: the lines add up to it.
    order_total: Decimal | None = None


Reject = Callable[[str, str], None]
T = TypeVar("T")


class RowParser:
    """Turns raw records into :class:`ParsedRow` objects for one file layout.

    Runs for every row of files with millions of rows, so the common case (a valid row)
    takes a straight path with no per-column function calls; only a row that fails a quick
    check goes through the detailed validation that names every problem.
    """

    def __init__(self, columns: dict[str, int], base_currency: str, tz: tzinfo) -> None:
        self.columns = columns
        self.width = max(columns.values()) + 1
        self.base_currency = base_currency
        self.tz = tz
        self.parse_placed_at = _moment_parser(tz)
        # A day of slack for shops whose clocks or time zones run ahead of ours.
        self.latest_placed_at = datetime.now(tz) + timedelta(days=1)
        self._optional = tuple((name, columns[name]) for name in _OPTIONAL_TEXT if name in columns)

    def parse(self, row: int, fields: list[str]) -> ParsedRow | list[Rejection]:
        """Validate ``fields``; return the parsed row or every reason it is rejected.

        Never raises: whatever goes wrong with one row becomes that row's rejection.
        """
        try:
            values = {name: fields[i].strip() for name, i in self.columns.items()}
            try:
                quick = self._quick(row, values)
            except Exception:  # the detailed path below names the problem
                quick = None
            return quick if quick is not None else self._detailed(row, values)
        except Exception as exc:  # the safety net: one row never stops the import
            return [Rejection(row, "", "", unreadable(exc))]

    def _quick(self, row: int, values: dict[str, str]) -> ParsedRow | None:
        """The straight path: ``None`` as soon as anything looks wrong."""
        customer_id = values["customer_id"]
        order_id = values["order_id"]
        amount_text = values["amount"]
        if not (
            _plain_identifier(customer_id, "customer_id")
            and _plain_identifier(order_id, "order_id")
            and PLAIN_AMOUNT.fullmatch(amount_text)
        ):
            return None
        try:
            placed_at = self.parse_placed_at(values["placed_at"])
        except InputValueError:
            return None
        if placed_at > self.latest_placed_at:
            return None
        optional = {name: values[name] for name, _ in self._optional if values[name]}
        if optional and not _optional_ok(optional):
            return None
        currency = optional.get("currency", "").upper() or self.base_currency
        status = optional.get("status", "completed").lower()
        if currency != self.base_currency or status not in STATUSES:
            return None
        amount = Decimal(amount_text).quantize(CENT)
        sku = optional.get("sku", "")
        total_text = optional.get("order_total")  # shop exports: an order's total on its lines
        if total_text is not None and not (sku and PLAIN_AMOUNT.fullmatch(total_text)):
            return None
        quantity = int(optional["quantity"]) if "quantity" in optional else 1
        unit_price = _unit_price_of(optional.get("unit_price"))
        if sku and unit_price is not None and line_amount(quantity, unit_price) != amount:
            return None
        refunded = Decimal(optional["refunded_amount"]) if "refunded_amount" in optional else None
        if refunded is not None and not sku and refunded > amount:
            return None
        return ParsedRow(
            row,
            customer_id,
            order_id,
            placed_at,
            amount,
            currency,
            status,
            optional.get("email", ""),
            optional.get("first_name", ""),
            optional.get("last_name", ""),
            optional.get("country", "").upper(),
            optional.get("channel", ""),
            BOOLEANS.get(optional.get("marketing_consent", "").lower()),
            sku,
            optional.get("product_name", ""),
            optional.get("category", ""),
            quantity,
            unit_price,
            refunded.quantize(CENT) if refunded is not None else None,
            values["placed_at"],
            order_total=Decimal(total_text).quantize(CENT) if total_text is not None else None,
        )

    def _detailed(self, row: int, values: dict[str, str]) -> ParsedRow | list[Rejection]:
        order_id = values["order_id"]
        problems: list[tuple[str, str, str]] = []
        warnings: list[RowWarning] = []

        def reject(column: str, reason: str) -> None:
            problems.append((column, values.get(column, ""), reason))

        check = _Checker(values, reject)
        customer_id = check("customer_id", _identifier)
        check("order_id", _identifier)
        placed_at = check("placed_at", self._placed_at)
        amount = check("amount", _amount)
        currency = check("currency", self._currency)
        status = check("status", _status)
        email = check("email", _email)
        country = check("country", _country)
        consent = check("marketing_consent", _consent)
        quantity = check("quantity", quantity_checked)
        unit_price = check("unit_price", unit_price_checked)
        refunded = check("refunded_amount", _refund)
        order_total = check("order_total", _order_total)
        sku = check("sku", _sku)
        texts = {c: _text(row, c, values.get(c, ""), order_id, warnings) for c in TEXT_LENGTHS}
        if not sku and (values.get("product_name") or values.get("category")):
            reject("sku", "product_name or category given without a sku")
        if sku and unit_price is not None and amount is not None and quantity is not None:
            expected = line_amount(quantity, unit_price)
            if expected != amount:
                reject("amount", _line_mismatch(quantity, values["unit_price"], expected))
        if not sku and order_total is not None:
            reject("order_total", "given without a sku (a one-row order's amount is its total)")
        if not sku and refunded is not None and amount is not None and refunded > amount:
            reject("refunded_amount", f"larger than the order's amount {amount}")
        if problems:
            order_id = order_id[: IDENTIFIER_LENGTHS["order_id"]]
            return [Rejection(row, c, v, r, order_id) for c, v, r in problems]
        # Every check that can give None rejected the row above.
        assert customer_id is not None
        assert email is not None
        assert country is not None
        assert sku is not None
        assert placed_at is not None
        assert amount is not None
        assert currency is not None
        assert status is not None
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
            texts["first_name"],
            texts["last_name"],
            country,
            texts["channel"],
            consent,
            sku,
            texts["product_name"],
            texts["category"],
            quantity,
            unit_price,
            refunded,
            values["placed_at"],
            tuple(warnings),
            order_total,
        )

    def width_problem(self, row: int, fields: list[str]) -> Rejection | None:
        """A row too short to hold every known column is malformed (often a quoting error)."""
        if len(fields) >= self.width:
            return None
        i = self.columns["order_id"]
        order_id = fields[i].strip()[: IDENTIFIER_LENGTHS["order_id"]] if i < len(fields) else ""
        return Rejection(
            row, "", "", f"has {len(fields)} field(s), the header has {self.width}", order_id
        )

    def _placed_at(self, value: str, column: str, reject: Reject) -> datetime | None:
        if not value:
            reject(column, "missing")
            return None
        try:
            placed_at = self.parse_placed_at(value)
        except InputValueError as exc:
            reject(column, str(exc))
            return None
        if placed_at > self.latest_placed_at:
            reject(column, "is in the future")
            return None
        return placed_at

    def _currency(self, value: str, column: str, reject: Reject) -> str:
        code = value.upper()
        if not code or code == self.base_currency:
            return self.base_currency
        if code not in CURRENCY_CODES:
            reject(column, "unknown currency code (expected ISO 4217, like USD)")
        else:
            reject(column, f"the shop's currency is {self.base_currency}; convert it first")
        return code


class _Checker:
    """Runs one column's check; an exception in it becomes that column's rejection."""

    def __init__(self, values: dict[str, str], reject: Reject) -> None:
        self.values = values
        self.reject = reject

    def __call__(self, column: str, check: Callable[[str, str, Reject], T]) -> T | None:
        try:
            return check(self.values.get(column, ""), column, self.reject)
        except Exception as exc:  # the safety net of one cell
            self.reject(column, unreadable(exc))
            return None


def unreadable(exc: BaseException) -> str:
    """The reason given for a row whose processing failed in a way no check foresaw."""
    return f"could not be read ({type(exc).__name__}: {exc})"


def line_amount(quantity: int, unit_price: Decimal) -> Decimal:
    """What a line of ``quantity`` at ``unit_price`` costs: rounded half-up to cents."""
    return (quantity * unit_price).quantize(CENT, ROUND_HALF_UP)


def cell_text(value: object) -> str:
    """A JSON value as the text of a CSV cell: ``null`` is an empty cell, ``true`` and
    ``false`` are the words the import reads as yes and no, other values their text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def line_amount_text(quantity: object, unit_price: object) -> str:
    """A line's amount from its cells (JSON values), as the import checks it: quantity (1
    when empty) × unit price, half-up to cents; ``""`` when either cannot be read (the
    import then names that cell)."""
    try:
        price = Decimal(cell_text(unit_price))
        return str(line_amount(int(cell_text(quantity) or "1"), price))
    except (ValueError, InvalidOperation):
        return ""


def _line_mismatch(quantity: int, unit_price_text: str, expected: Decimal) -> str:
    reason = f"does not equal quantity {quantity} × unit_price {unit_price_text}"
    exact = quantity * Decimal(unit_price_text)
    return reason if exact == expected else f"{reason} = {expected} (rounded half-up to cents)"


def _unit_price_of(text: str | None) -> Decimal | None:
    return Decimal(text).quantize(UNIT_PRICE_PLACES) if text is not None else None


def _plain_identifier(value: str, column: str) -> bool:
    return 0 < len(value) <= IDENTIFIER_LENGTHS[column] and value.isprintable()


def _optional_ok(optional: dict[str, str]) -> bool:
    """Cheap checks of the optional columns; the detailed path says what is wrong."""
    get = optional.get
    email, country, consent = get("email"), get("country"), get("marketing_consent")
    sku, quantity, unit_price = get("sku", ""), get("quantity"), get("unit_price")
    refunded = get("refunded_amount")
    return (
        (email is None or (len(email) <= EMAIL_LENGTH and _email_ok(email)))
        and (country is None or country.upper() in COUNTRY_CODES)
        and (consent is None or consent.lower() in BOOLEANS)
        and (bool(sku) or not (get("product_name") or get("category")))
        and (not sku or _plain_identifier(sku, "sku"))
        and (quantity is None or PLAIN_QUANTITY.fullmatch(quantity) is not None)
        and (unit_price is None or PLAIN_UNIT_PRICE.fullmatch(unit_price) is not None)
        and (refunded is None or PLAIN_REFUND.fullmatch(refunded) is not None)
        and all(len(get(c, "")) <= limit for c, limit in TEXT_LENGTHS.items())
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


def _moment_parser(tz: tzinfo) -> Callable[[str], datetime]:
    @lru_cache(maxsize=4096)
    def parse(value: str) -> datetime:
        return moment_from_text(value, tz)

    return parse


def _identifier(value: str, column: str, reject: Reject) -> str:
    limit = IDENTIFIER_LENGTHS[column]
    if not value:
        reject(column, "missing")
    elif len(value) > limit:
        reject(column, f"longer than {limit} characters")
    elif not value.isprintable():
        reject(column, "contains a control character")
    return value


def _sku(value: str, column: str, reject: Reject) -> str:
    return _identifier(value, column, reject) if value else ""


def _text(row: int, column: str, value: str, order_id: str, warnings: list[RowWarning]) -> str:
    limit = TEXT_LENGTHS[column]
    if len(value) <= limit:
        return value
    reason = f"longer than {limit} characters: cut to the first {limit}"
    warnings.append(RowWarning(row, column, value, reason, order_id))
    return value[:limit]


def _decimal(
    value: str, column: str, reject: Reject, field: Field, negative: str = NEGATIVE
) -> Decimal | None:
    try:
        return decimal_for_field(value, field)
    except InputValueError as exc:
        reason = str(exc)
        reject(column, negative if reason == NEGATIVE else reason)
        return None


def _amount(value: str, column: str, reject: Reject) -> Decimal | None:
    if not value:
        reject(column, "missing")
        return None
    return _decimal(value, column, reject, TOTAL_FIELD, negative=NEGATIVE_AMOUNT)


def _order_total(value: str, column: str, reject: Reject) -> Decimal | None:
    return _decimal(value, column, reject, TOTAL_FIELD, NEGATIVE_AMOUNT) if value else None


def _refund(value: str, column: str, reject: Reject) -> Decimal | None:
    return _decimal(value, column, reject, REFUND_FIELD) if value else None


def unit_price_checked(value: str, column: str, reject: Reject) -> Decimal | None:
    return _decimal(value, column, reject, UNIT_PRICE_FIELD) if value else None


def _status(value: str, column: str, reject: Reject) -> str:
    status = value.lower() or "completed"
    if status not in STATUSES:
        reject(column, "unknown status (expected completed, refunded or cancelled)")
    return status


def _email(value: str, column: str, reject: Reject) -> str:
    if len(value) > EMAIL_LENGTH:
        reject(column, f"longer than {EMAIL_LENGTH} characters")
    elif value and not _email_ok(value):
        reject(column, "not a valid email address")
    return value


def _country(value: str, column: str, reject: Reject) -> str:
    code = value.upper()
    if code and code not in COUNTRY_CODES:
        reject(column, "unknown country code (expected ISO 3166 alpha-2, like DE)")
    return code


def _consent(value: str, column: str, reject: Reject) -> bool | None:
    if not value:
        return None
    consent = BOOLEANS.get(value.lower())
    if consent is None:
        reject(column, "expected true or false")
    return consent


def quantity_checked(value: str, column: str, reject: Reject) -> int | None:
    if not value:
        return 1
    low, high = QUANTITY_RANGE
    try:
        return integer_from_text(value, minimum=low, maximum=high)
    except InputValueError as exc:
        reject(column, str(exc))
        return None
