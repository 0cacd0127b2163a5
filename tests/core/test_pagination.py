"""Keyset pages of the staff lists: a cursor not made for the list gives its first page."""

import base64
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.db.models import F, FloatField, Value
from django.db.models.functions import Coalesce
from django.test import Client

from clvcrm.core.pagination import keyset_page
from customers.models import Customer

pytestmark = pytest.mark.django_db


def _cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


@pytest.fixture
def customers() -> list[Customer]:
    """60 customers acquired one a day; the default sort shows the latest first."""
    return Customer.objects.bulk_create(
        Customer(external_id=f"C{i:03}", acquired_on=date(2025, 1, 1) + timedelta(days=i))
        for i in range(60)
    )


def _ids(response: Any) -> list[str]:
    return re.findall(r'<td class="mono">(C\d+)</td>', response.content.decode())


FIRST_PAGE = [f"C{i:03}" for i in range(59, 9, -1)]  # newest acquired first


def test_the_tampered_cursor_of_the_finding_gives_the_first_page(
    admin_client: Client, customers: list[Customer]
) -> None:
    # [{"t": "date"}, 5]: a date without its value raised KeyError (a 500).
    response = admin_client.get("/customers/", {"after": "W3sidCI6ICJkYXRlIn0sIDVd"})

    assert response.status_code == 200
    assert _ids(response) == FIRST_PAGE
    assert 'rel="prev"' not in response.content.decode()


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor([{"t": "date", "v": "2025-02-30"}, 5]),  # ValueError
        _cursor([{"t": "date", "v": 5}, 5]),  # TypeError
        _cursor([{"t": "datetime", "v": "2025-03-01T00:00:00+00:00"}, 5]),  # not a date slot
        _cursor([{"t": "date", "v": "0001-01-01"}, 5]),  # outside the supported days
        _cursor([{"t": "date", "v": "٢٠٢٥-٠٣-٠١"}, 5]),  # not ASCII
        _cursor([{"t": "date", "v": "2025-03-01", "x": 1}, 5]),  # not what _encode makes
        _cursor([{"t": "date", "v": "2025-03-01"}, 2**63]),  # an id beyond 64 bits
        _cursor([{"t": "date", "v": "2025-03-01"}, "5"]),  # an id that is text
        _cursor([{"t": "date", "v": "2025-03-01"}, True]),  # an id that is a boolean
        _cursor([{"t": "date", "v": "2025-03-01"}, 5.0]),  # an id that is a float
        _cursor([{"t": "date", "v": "2025-03-01"}]),  # too short
        _cursor([{"t": "date", "v": "2025-03-01"}, 5, 6]),  # too long
        _cursor({"t": "date", "v": "2025-03-01"}),  # not a list
        base64.urlsafe_b64encode(b"[" * 3000).decode(),  # RecursionError
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),  # not UTF-8
        "W3sidCI6ICJkYXRlIn0sIDVd" * 200,  # longer than any cursor made here
        "٣",  # not ASCII
        "!!!",  # not base64
        "",
    ],
)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_any_cursor_not_made_for_the_list_gives_the_first_page(
    admin_client: Client, customers: list[Customer], cursor: str, direction: str
) -> None:
    response = admin_client.get("/customers/", {direction: cursor})

    assert response.status_code == 200
    assert _ids(response) == FIRST_PAGE


def test_a_cursor_of_another_sort_gives_that_sorts_first_page(
    admin_client: Client, customers: list[Customer]
) -> None:
    # Acquisition day and creation moment both make two-value cursors: a date then an id.
    first = admin_client.get("/customers/", {"sort": "acquired"})
    cursor = _found(r"after=([\w=-]+)", first.content.decode())

    by_created = admin_client.get("/customers/", {"sort": "created", "after": cursor})

    assert _ids(by_created) == [f"C{i:03}" for i in range(50)]


def test_a_real_cursor_still_pages_both_ways(
    admin_client: Client, customers: list[Customer]
) -> None:
    first = admin_client.get("/customers/")
    after = _found(r"after=([\w=-]+)", first.content.decode())
    second = admin_client.get("/customers/", {"after": after})
    before = _found(r"before=([\w=-]+)", second.content.decode())

    assert _ids(second) == [f"C{i:03}" for i in range(9, -1, -1)]
    assert _ids(admin_client.get("/customers/", {"before": before})) == FIRST_PAGE


def test_a_bad_before_with_a_good_after_pages_forward(
    admin_client: Client, customers: list[Customer]
) -> None:
    first = admin_client.get("/customers/")
    after = _found(r"after=([\w=-]+)", first.content.decode())

    response = admin_client.get("/customers/", {"after": after, "before": "W3sidCI6"})

    assert _ids(response) == [f"C{i:03}" for i in range(9, -1, -1)]


def test_annotated_float_keys_refuse_infinity_and_text(customers: list[Customer]) -> None:
    scored = Customer.objects.annotate(
        sort_value=Coalesce(F("score__p_alive"), Value(-1.0), output_field=FloatField())
    )
    made = keyset_page(scored, ("sort_value",), per_page=5).next_cursor

    assert made == _cursor([-1.0, customers[4].pk])
    after_made = keyset_page(scored, ("sort_value",), after=made, per_page=5)
    assert [c.pk for c in after_made.objects] == [c.pk for c in customers[5:10]]
    for bad in (b"[1e999, 5]", b"[NaN, 5]", b'["-1.0", 5]', b"[1" + b"0" * 400 + b", 5]"):
        cursor = base64.urlsafe_b64encode(bad).decode()
        page = keyset_page(scored, ("sort_value",), after=cursor, per_page=5)
        assert [c.pk for c in page.objects] == [c.pk for c in customers[:5]]


def test_text_keys_refuse_nul_and_values_longer_than_the_column(customers: list[Customer]) -> None:
    by_name = ("last_name",)  # max_length 150
    for bad in ["a\x00", "x" * 151]:
        page = keyset_page(Customer.objects.all(), by_name, after=_cursor([bad, 1]), per_page=3)
        assert page.previous_cursor is None
        assert [c.pk for c in page.objects] == [c.pk for c in customers[:3]]


def _found(pattern: str, text: str) -> str:
    """The first group of ``pattern``'s first match in ``text``; fails the test if none."""
    match = re.search(pattern, text)
    assert match is not None, pattern
    return match.group(1)
