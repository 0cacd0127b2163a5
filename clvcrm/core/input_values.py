"""Values from outside, checked against what the database and the code downstream can hold.

One place decides whether a number or a date from a CSV cell, a form field, an API payload or a
query parameter can be used, so the order import, the segment rules and the API refuse the same
things with the same words. Python alone is more lenient than the database behind it:

- ``Decimal()`` and ``int()`` read Arabic-Indic digits (``١٢٣``) and underscores (``1_000``),
  which PostgreSQL's COPY refuses and SQLite stores as a different number; ``'²'.isdigit()`` is
  true but ``int('²')`` fails;
- ``Decimal('1e999999')`` is a finite number that overflows PostgreSQL's ``numeric`` in any
  comparison, and a sum of large ``integer`` columns overflows 32 bits;
- ``datetime.fromisoformat`` reads year 1, which overflows once moved to UTC from a zone east
  of it.

Each parser accepts ASCII forms only and values every consumer can store, and raises
:class:`InputValueError` whose message names what is wrong, worded for the person who sent the
value: ready to become a row's rejection, a form error or a 400 answer.
"""

import re
import sys
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import TypeVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import DecimalField, Field, FloatField

INT32_MAX = 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# The largest finite ``double precision``; ``float('1e999')`` is infinite, which no comparison
# with a real measure means.
FLOAT_MAX = sys.float_info.max
# The internal types of the integer model fields (auto fields included), as Django names them.
INTEGER_KINDS = frozenset(BaseDatabaseOperations.integer_field_ranges)
# Orders, dates of birth and as-of days all fall in these years; a value outside is a typo or
# a placeholder (0001-01-01), and keeping away from year 1 and 9999 keeps every conversion
# between time zones inside what datetime can represent.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)

NOT_A_NUMBER = "not a number (use a dot as decimal separator, no currency sign)"
NOT_A_WHOLE_NUMBER = "not a whole number"
NOT_A_DATE = "not a date or date-time (use YYYY-MM-DD or ISO 8601)"
NEGATIVE = "negative"

# Plain decimal notation with an optional exponent, ASCII digits only; the exponent's length
# is capped so that no value costs more than a moment to read.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,6})?")
_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")

# A date, or a date and time without offset, in the one form that Python and PostgreSQL read
# as the same instant in the same zone; ASCII digits only. The day still needs day_within.
PLAIN_MOMENT = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?)?"
)


Number = TypeVar("Number", int, float, Decimal)


class InputValueError(ValueError):
    """A value that cannot be used; ``str(exc)`` says why, without repeating the value."""


def decimal_from_text(
    text: str,
    *,
    max_digits: int,
    decimal_places: int,
    allow_negative: bool = False,
    round_places: bool = False,
) -> Decimal:
    """The number in ``text`` as it fits a ``numeric(max_digits, decimal_places)`` column.

    More decimal places than the column holds are refused, or rounded half-even to them with
    ``round_places``. The result always has exactly ``decimal_places`` places.
    """
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        raise InputValueError(NOT_A_NUMBER)
    value = Decimal(text)
    if value < 0 and not allow_negative:
        raise InputValueError(NEGATIVE)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # a finite number, by the pattern above
    if exponent < -decimal_places and not round_places:
        raise InputValueError(f"more than {decimal_places} decimal places")
    largest = decimal_largest(max_digits=max_digits, decimal_places=decimal_places)
    # copy_abs is exact; abs() rounds to the context and overflows past 10**999999.
    if value.copy_abs() > largest:
        raise InputValueError(f"larger than {largest}" if value > 0 else f"smaller than -{largest}")
    return value.quantize(Decimal(1).scaleb(-decimal_places))


def decimal_largest(*, max_digits: int, decimal_places: int) -> Decimal:
    """The largest value of a ``numeric(max_digits, decimal_places)`` column: ``99…9.99``."""
    return Decimal(10) ** (max_digits - decimal_places) - Decimal(1).scaleb(-decimal_places)


def plain_decimal_pattern(field: Field) -> re.Pattern[str]:
    """The plain, non-negative decimals the model's ``DecimalField`` holds, as a pattern.

    Text the pattern matches in full is read by :func:`decimal_for_field` as the same
    number, so code that checks many values at once (the order import's fast lane) can test
    them with it and leave every other text to :func:`decimal_for_field`, which says what is
    wrong with it.
    """
    assert isinstance(field, DecimalField)
    whole, places = field.max_digits - field.decimal_places, field.decimal_places
    return re.compile(rf"[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{places}}})?")


def decimal_for_field(text: str, field: Field, **options: bool) -> Decimal:
    """:func:`decimal_from_text` with the precision of the model's ``DecimalField``."""
    assert isinstance(field, DecimalField)
    return decimal_from_text(
        text, max_digits=field.max_digits, decimal_places=field.decimal_places, **options
    )


def integer_from_text(text: str, *, minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> int:
    """The whole number in ``text`` (ASCII digits, an optional sign), within the bounds."""
    text = text.strip()
    if not _INTEGER.fullmatch(text):
        raise InputValueError(NOT_A_WHOLE_NUMBER)
    return integer_within(int(text), minimum=minimum, maximum=maximum)


def integer_within(value: int, *, minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> int:
    """``value`` itself, if it lies within the bounds."""
    return number_within(value, minimum=minimum, maximum=maximum)


def number_within(value: Number, *, minimum: Number, maximum: Number) -> Number:
    """``value`` itself, if it lies within the bounds (NaN never does)."""
    if value != value:  # NaN: every comparison with it is false
        raise InputValueError(NOT_A_NUMBER)
    if value < minimum:
        raise InputValueError(f"must be at least {minimum}")
    if value > maximum:
        raise InputValueError(f"must be at most {maximum}")
    return value


def float_from_text(text: str, *, minimum: float = -FLOAT_MAX, maximum: float = FLOAT_MAX) -> float:
    """The number in ``text`` as a finite float within the bounds (``double precision``)."""
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        raise InputValueError(NOT_A_NUMBER)
    # Past FLOAT_MAX float() gives infinity, which lies outside any finite bound.
    return number_within(float(text), minimum=minimum, maximum=maximum)


def number_range_of(field: Field) -> tuple[Decimal | float | int, Decimal | float | int]:
    """The smallest and largest value a numeric model field holds.

    What its column holds (a decimal's precision, the finite doubles, the integer's width on
    PostgreSQL), narrowed by the field's ``MinValueValidator`` and ``MaxValueValidator``.
    """
    low: Decimal | float | int
    high: Decimal | float | int
    if isinstance(field, DecimalField):
        high = decimal_largest(max_digits=field.max_digits, decimal_places=field.decimal_places)
        low = -high
    elif isinstance(field, FloatField):
        low, high = -FLOAT_MAX, FLOAT_MAX
    else:
        low, high = integer_range_of(field)
    for validator in field.validators:
        if isinstance(validator, MinValueValidator) and not callable(validator.limit_value):
            low = max(low, validator.limit_value)
        elif isinstance(validator, MaxValueValidator) and not callable(validator.limit_value):
            high = min(high, validator.limit_value)
    return low, high


def number_for_field(text: str, field: Field) -> Decimal | float | int:
    """The number in ``text`` as the numeric model field holds it (:func:`number_range_of`).

    A decimal field refuses more decimal places than it has; an integer field, a fraction.
    """
    low, high = number_range_of(field)
    if isinstance(field, DecimalField):
        value = decimal_for_field(text, field, allow_negative=low < 0)
        return number_within(value, minimum=Decimal(low), maximum=Decimal(high))
    if isinstance(field, FloatField):
        return float_from_text(text, minimum=float(low), maximum=float(high))
    return integer_from_text(text, minimum=int(low), maximum=int(high))


def integer_range_of(field: Field) -> tuple[int, int]:
    """The values an integer model field holds on every database (PostgreSQL's ranges)."""
    low, high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
    return low, high


def moment_from_text(text: str, tz: tzinfo) -> datetime:
    """An aware date-time from ISO 8601 text; a date, or a time without offset, is in ``tz``.

    The day (as written, and in UTC) must lie between :data:`EARLIEST_DAY` and
    :data:`LATEST_DAY`.
    """
    text = text.strip()
    if not text.isascii():
        raise InputValueError(NOT_A_DATE)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputValueError(NOT_A_DATE) from None
    day_within(moment.date())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    # Years 1900 to 2999 are far from the edges of datetime: no zone can overflow them.
    day_within(moment.astimezone(UTC).date())
    return moment


def date_from_text(text: str) -> date:
    """A calendar day from ``YYYY-MM-DD`` text, between the earliest and latest day."""
    text = text.strip()
    if not text.isascii():
        raise InputValueError("not a date (use YYYY-MM-DD)")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InputValueError("not a date (use YYYY-MM-DD)") from None
    return day_within(day)


def day_within(day: date) -> date:
    """``day`` itself, if it lies between :data:`EARLIEST_DAY` and :data:`LATEST_DAY`."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InputValueError(
            f"outside the supported dates ({EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()})"
        )
    return day


def text_within(text: str, *, max_length: int | None = None) -> str:
    """``text`` itself, if a text column can hold it and a query can compare with it.

    PostgreSQL refuses the NUL character in any text (psycopg raises before the query is
    sent), so it is refused here for every database.
    """
    if "\x00" in text:
        raise InputValueError("contains a NUL character")
    if max_length is not None and len(text) > max_length:
        raise InputValueError(f"longer than {max_length} characters")
    return text
