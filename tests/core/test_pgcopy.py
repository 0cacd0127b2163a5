"""The binary COPY encoder and reader: exact bytes, and a round trip through PostgreSQL."""

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection

from clvcrm.core.bulk import copy_logged
from clvcrm.core.pgcopy import HEADER, TRAILER, binary_copy_payload, binary_copy_read

EVERY_TYPE = (
    ("flag", "bool", "boolean"),
    ("small", "int2", "smallint"),
    ("normal", "int4", "integer"),
    ("big", "int8", "bigint"),
    ("ratio", "float8", "double precision"),
    ("day", "date", "date"),
    ("moment", "timestamptz", "timestamp with time zone"),
    ("amount", "numeric", "numeric(14, 2)"),
    ("code", "text3", "text"),
    ("nothing", "text0", "text"),
)


def test_one_row_is_count_then_length_and_value_in_network_order() -> None:
    payload = binary_copy_payload([("int4", np.array([7])), ("text0", b"")])

    count, int4_seven, empty_text = b"\x00\x02", b"\x00\x00\x00\x04\x00\x00\x00\x07", bytes(4)
    assert payload == HEADER + count + int4_seven + empty_text + TRAILER


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="columns must be arrays of one length"):
        binary_copy_payload([("int4", np.array([1, 2])), ("int4", np.array([1]))])


def test_an_amount_past_the_numeric_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="value too large for the numeric encoding"):
        binary_copy_payload([("numeric", np.array([10**14]))])


def test_numeric_and_text_cannot_be_read() -> None:
    with pytest.raises(ValueError, match="cannot read numeric columns"):
        binary_copy_read(HEADER + TRAILER, ["numeric"])


@pytest.mark.postgres
@pytest.mark.django_db
def test_every_type_arrives_as_sent() -> None:
    moment = datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=UTC)
    unix_microseconds = round(moment.timestamp()) * 1_000_000 + moment.microsecond
    values = [
        np.array([1, 0]),
        np.array([-32768, 32767], dtype=np.int16),
        np.array([7, -7], dtype=np.int32),
        np.array([2**62, 1]),
        np.array([0.1, -2.5e300]),
        np.array([(date(1999, 12, 31) - date(1970, 1, 1)).days, 0]),
        np.array([unix_microseconds, 0]),
        np.array([-1234, 99_999_999_999_999]),
        np.array([b"ABC", b"xyz"]),
        b"",
    ]
    columns = ", ".join(f"{name} {sql_type}" for name, _, sql_type in EVERY_TYPE)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE copied ({columns})")
        names = ", ".join(name for name, _, _ in EVERY_TYPE)
        payload = binary_copy_payload(
            [(pg_type, v) for (_, pg_type, _), v in zip(EVERY_TYPE, values, strict=True)]
        )
        with copy_logged(cursor, f"COPY copied ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(payload)
        cursor.execute(f"SELECT {names} FROM copied ORDER BY normal DESC")
        rows = cursor.fetchall()

    assert rows == [
        (
            True, -32768, 7, 2**62, 0.1, date(1999, 12, 31), moment, Decimal("-12.34"), "ABC", ""
        ),
        (
            False, 32767, -7, 1, -2.5e300, date(1970, 1, 1),
            datetime(1970, 1, 1, tzinfo=UTC), Decimal("999999999999.99"), "xyz", "",
        ),
    ]  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_copy_out_reads_back_column_by_column() -> None:
    query = (
        "SELECT * FROM (VALUES (true, 3::int8, -4::int4, 0.5::float8, DATE '2000-01-02', "
        "TIMESTAMPTZ '1970-01-01 00:00:01+00'), (false, 5, 6, -1.5, DATE '1969-12-31', "
        "TIMESTAMPTZ '2000-01-01 00:00:00+00')) v"
    )
    data = bytearray()
    with (
        connection.cursor() as cursor,
        copy_logged(cursor, f"COPY ({query}) TO STDOUT (FORMAT BINARY)") as copy,
    ):
        for block in copy:
            data += block

    columns = binary_copy_read(data, ["bool", "int8", "int4", "float8", "date", "timestamptz"])

    assert [column.tolist() for column in columns] == [
        [1, 0],
        [3, 5],
        [-4, 6],
        [0.5, -1.5],
        [10_958, -1],
        [1_000_000, 946_684_800_000_000],
    ]
