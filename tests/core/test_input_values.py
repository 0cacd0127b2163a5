"""The one check of outside numbers and dates: ASCII only, within what the columns hold."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from clvcrm.core.input_values import (
    FLOAT_MAX,
    INTEGER_KINDS,
    PLAIN_MOMENT,
    InputValueError,
    date_from_text,
    decimal_for_field,
    decimal_from_text,
    float_from_text,
    integer_from_text,
    integer_range_of,
    moment_from_text,
    number_for_field,
    number_range_of,
    number_within,
    plain_decimal_pattern,
    text_within,
)
from clvcrm.core.model_fields import model_field
from customers.clv.rfm import QUINTILES
from customers.models import CustomerScore, Order, OrderLine, SegmentThresholds


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("١٢٣", "not a number (use a dot as decimal separator, no currency sign)"),
        ("1_000", "not a number (use a dot as decimal separator, no currency sign)"),
        ("12,50", "not a number (use a dot as decimal separator, no currency sign)"),
        ("NaN", "not a number (use a dot as decimal separator, no currency sign)"),
        ("Infinity", "not a number (use a dot as decimal separator, no currency sign)"),
        ("$5", "not a number (use a dot as decimal separator, no currency sign)"),
        ("1e9999999", "not a number (use a dot as decimal separator, no currency sign)"),
        ("1e999999", "larger than 9999999999.99"),
        ("9" * 1_000_000, "larger than 9999999999.99"),
        ("9" * 1_000 + "e999999", "larger than 9999999999.99"),
        ("10000000000", "larger than 9999999999.99"),
        ("-0.01", "negative"),
        ("0.001", "more than 2 decimal places"),
        ("1e-3", "more than 2 decimal places"),
    ],
)
def test_a_decimal_the_column_cannot_hold_is_refused_with_its_reason(text, reason):
    with pytest.raises(InputValueError) as refused:
        decimal_from_text(text, max_digits=12, decimal_places=2)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", Decimal("0.00")),
        (" 12.5 ", Decimal("12.50")),
        (".5", Decimal("0.50")),
        ("1e3", Decimal("1000.00")),
        ("9999999999.99", Decimal("9999999999.99")),
    ],
)
def test_a_plain_decimal_comes_back_with_the_columns_places(text, value):
    parsed = decimal_from_text(text, max_digits=12, decimal_places=2)
    assert parsed == value
    assert parsed.as_tuple().exponent == -2


def test_negative_values_and_rounding_only_when_asked():
    assert decimal_from_text("-5", max_digits=12, decimal_places=2, allow_negative=True) == -5
    with pytest.raises(InputValueError) as refused:
        decimal_from_text("-1e20", max_digits=12, decimal_places=2, allow_negative=True)
    assert str(refused.value) == "smaller than -9999999999.99"
    rounded = decimal_from_text("0.125", max_digits=12, decimal_places=2, round_places=True)
    assert rounded == Decimal("0.12")  # half-even


@given(st.from_regex(r"[0-9]{1,10}(\.[0-9]{1,4})?", fullmatch=True))
def test_text_the_plain_pattern_matches_is_read_as_that_number(text):
    # The order import's fast lane takes such text as it is; it must mean the same.
    field = OrderLine._meta.get_field("unit_price")
    assert plain_decimal_pattern(field).fullmatch(text)
    assert decimal_for_field(text, field) == Decimal(text)


def test_the_plain_pattern_follows_the_field_and_takes_ascii_only():
    total = plain_decimal_pattern(Order._meta.get_field("total"))
    assert total.pattern == r"[0-9]{1,10}(?:\.[0-9]{1,2})?"
    assert [bool(total.fullmatch(t)) for t in ("12.50", "١٢٣", "1.005", "12345678901", "-1")] == [
        True,
        False,
        False,
        False,
        False,
    ]


def test_a_model_field_gives_its_own_precision():
    assert decimal_for_field("12.34", Order._meta.get_field("total")) == Decimal("12.34")
    with pytest.raises(InputValueError) as refused:
        decimal_for_field("1e10", Order._meta.get_field("total"))
    assert str(refused.value) == "larger than 9999999999.99"


@given(st.text(max_size=40))
def test_any_text_is_a_number_the_column_holds_or_a_refusal(text):
    try:
        value = decimal_from_text(text, max_digits=12, decimal_places=2)
    except InputValueError:
        return
    assert value.is_finite()
    assert Decimal(0) <= value <= Decimal("9999999999.99")
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("²", "not a whole number"),
        ("٣", "not a whole number"),
        ("1.0", "not a whole number"),
        ("", "not a whole number"),
        ("9223372036854775808", "must be at most 9223372036854775807"),
        ("0", "must be at least 1"),
    ],
)
def test_a_whole_number_outside_its_range_is_refused(text, reason):
    with pytest.raises(InputValueError) as refused:
        integer_from_text(text, minimum=1)
    assert str(refused.value) == reason


def test_integer_ranges_follow_the_model_field():
    assert integer_range_of(OrderLine._meta.get_field("quantity")) == (0, 2**31 - 1)
    assert integer_range_of(Order._meta.get_field("id")) == (-(2**63), 2**63 - 1)
    assert integer_from_text("+42") == 42


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+05:00",
        "0001-01-01",
        "9999-12-31T23:59:59-05:00",
        "1899-12-31",
        "1900-01-01T00:00:00+01:00",  # 1899 in UTC
        "3000-01-01",
    ],
)
def test_a_moment_outside_the_supported_years_is_refused_not_overflowed(text):
    with pytest.raises(InputValueError) as refused:
        moment_from_text(text, ZoneInfo("Asia/Kolkata"))
    assert str(refused.value) == "outside the supported dates (1900-01-01 to 2999-12-31)"


@pytest.mark.parametrize(
    "text", ["２０２５-01-01", "2025-13-01", "yesterday", "", "2025-01-01 25:00"]
)
def test_a_moment_that_is_not_iso_8601_ascii_is_refused(text):
    with pytest.raises(InputValueError) as refused:
        moment_from_text(text, UTC)
    assert str(refused.value) == "not a date or date-time (use YYYY-MM-DD or ISO 8601)"


def test_a_moment_without_offset_is_in_the_given_zone():
    tokyo = ZoneInfo("Asia/Tokyo")
    assert moment_from_text("2025-03-01", tokyo) == datetime(2025, 3, 1, tzinfo=tokyo)
    assert moment_from_text("2025-03-01T10:00:00-05:00", tokyo) == datetime(
        2025, 3, 1, 10, tzinfo=timezone(timedelta(hours=-5))
    )


@given(st.datetimes(timezones=st.sampled_from([UTC, ZoneInfo("Pacific/Kiritimati")])))
@example(datetime(1979, 10, 1, tzinfo=ZoneInfo("Pacific/Kiritimati")))  # in a clock's gap
def test_any_iso_moment_is_usable_or_refused_never_overflowing(moment):
    try:
        parsed = moment_from_text(moment.isoformat(), ZoneInfo("Pacific/Kiritimati"))
    except InputValueError:
        return
    # The same instant: == between zones is False for a time in a clock's gap (PEP 495).
    assert parsed.astimezone(UTC) == moment.astimezone(UTC)
    assert date(1900, 1, 1) <= parsed.astimezone(UTC).date() <= date(2999, 12, 31)


@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30)))
def test_a_plain_moment_is_read_alike_as_text_or_parsed(moment):
    text = moment.isoformat(sep=" ")
    assert PLAIN_MOMENT.fullmatch(text)
    assert moment_from_text(text, UTC) == moment.replace(tzinfo=UTC)


def test_the_plain_moment_pattern_takes_ascii_digits_only():
    assert not PLAIN_MOMENT.fullmatch("٢٠٢٥-01-01")
    assert not PLAIN_MOMENT.fullmatch("2025-01-01T10:00:00+01:00")
    assert PLAIN_MOMENT.fullmatch("2025-01-01T10:00")


def test_a_day_is_checked_like_a_moment():
    assert date_from_text("2025-02-28") == date(2025, 2, 28)
    for text in ("2025-02-30", "0001-01-01", "٢٠٢٥-01-01"):
        with pytest.raises(InputValueError):
            date_from_text(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.7976931348623159e308", "must be at most 1.7976931348623157e+308"),  # infinite
        ("-1e999999", "must be at least -1.7976931348623157e+308"),
        ("inf", "not a number (use a dot as decimal separator, no currency sign)"),
        ("nan", "not a number (use a dot as decimal separator, no currency sign)"),
        ("0_5", "not a number (use a dot as decimal separator, no currency sign)"),
        ("٠.٥", "not a number (use a dot as decimal separator, no currency sign)"),
    ],
)
def test_a_float_must_be_finite_ascii(text, reason):
    with pytest.raises(InputValueError) as refused:
        float_from_text(text)
    assert str(refused.value) == reason


def test_a_float_just_inside_its_bounds_is_read():
    assert float_from_text("1.7976931348623157e308") == FLOAT_MAX
    assert float_from_text(" -0.25 ") == -0.25
    assert float_from_text("1", minimum=0.0, maximum=1.0) == 1.0
    with pytest.raises(InputValueError) as refused:
        float_from_text("1.0000001", minimum=0.0, maximum=1.0)
    assert str(refused.value) == "must be at most 1.0"


def test_nan_is_never_within_bounds():
    with pytest.raises(InputValueError) as refused:
        number_within(float("nan"), minimum=0.0, maximum=1.0)
    assert str(refused.value) == "not a number (use a dot as decimal separator, no currency sign)"
    assert number_within(Decimal("2.5"), minimum=Decimal(0), maximum=Decimal(3)) == Decimal("2.5")


def test_ranges_come_from_the_column_and_the_validators():
    score = partial(model_field, CustomerScore)
    assert number_range_of(score("predicted_clv")) == (
        Decimal("-999999999999.99"),
        Decimal("999999999999.99"),
    )
    assert number_range_of(score("p_alive")) == (-FLOAT_MAX, FLOAT_MAX)
    assert number_range_of(score("rfm_recency")) == (1, QUINTILES)  # the quintile scores
    assert number_range_of(score("frequency")) == (0, 2**31 - 1)
    thresholds = partial(model_field, SegmentThresholds)
    assert number_range_of(thresholds("churn_p_alive")) == (0.0, 1.0)
    assert number_range_of(thresholds("new_customer_days")) == (0, 32767)


def test_a_number_for_a_field_has_the_fields_type():
    score = partial(model_field, CustomerScore)
    assert number_for_field("-12.5", score("predicted_clv")) == Decimal("-12.50")
    assert number_for_field("0.5", score("p_alive")) == 0.5
    assert number_for_field("5", score("rfm_monetary")) == 5
    for text, reason in (("4.0", "not a whole number"), ("6", "must be at most 5")):
        with pytest.raises(InputValueError) as refused:
            number_for_field(text, score("rfm_monetary"))
        assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("text", "max_length", "reason"),
    [
        ("a\x00b", None, "contains a NUL character"),
        ("\x00", 10, "contains a NUL character"),
        ("abcd", 3, "longer than 3 characters"),
    ],
)
def test_text_a_column_cannot_hold_or_compare_is_refused(
    text: str, max_length: int | None, reason: str
) -> None:
    with pytest.raises(InputValueError) as refused:
        text_within(text, max_length=max_length)
    assert str(refused.value) == reason


def test_text_a_column_holds_comes_back_unchanged() -> None:
    assert text_within("Ünïcode ²", max_length=9) == "Ünïcode ²"
    assert text_within("x" * 10_000) == "x" * 10_000


def test_integer_kinds_are_the_fields_with_a_range() -> None:
    assert {"AutoField", "BigAutoField", "IntegerField", "PositiveSmallIntegerField"} <= (
        INTEGER_KINDS
    )
    assert "FloatField" not in INTEGER_KINDS
    assert "DecimalField" not in INTEGER_KINDS
