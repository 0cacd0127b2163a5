"""Login throttling: per account and per address, with back-off, on every way to log in."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client, RequestFactory

from clvcrm.core.login_throttle import client_ip, lockout_duration, lockout_message

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "secret-pass-123"  # the make_staff fixture's
LOCKED = "Too many failed logins for this account or from this address. Try again in {}."


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def maria(make_staff) -> User:
    return make_staff("Support", "maria")


def _login(client: Client, username: str, password: str, *, url: str = "/login/", **meta):
    return client.post(url, {"username": username, "password": password}, **meta)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _fail(client: Client, username: str, times: int, **meta) -> list[int]:
    return [_login(client, username, "wrong", **meta).status_code for _ in range(times)]


def _locked_page(response, wait: str = "15 minutes") -> bool:
    return response.status_code == 429 and LOCKED.format(wait) in response.content.decode()


def test_four_failures_leave_the_account_open(client, clock, maria) -> None:
    assert _fail(client, "maria", 4) == [200] * 4
    response = _login(client, "maria", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_the_fifth_failure_locks_and_the_right_password_is_refused(client, clock, maria) -> None:
    assert _fail(client, "maria", 4) == [200] * 4
    fifth = _login(client, "maria", "wrong")
    assert _locked_page(fifth)
    assert fifth["Retry-After"] == "900"

    clock.shift(timedelta(minutes=5))
    refused = _login(client, "maria", PASSWORD)
    assert _locked_page(refused)
    assert not _logged_in(client)
    # The lock is on the account: another address is refused too.
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert _locked_page(_login(elsewhere, "maria", PASSWORD))
    assert not _logged_in(elsewhere)


def test_the_lock_ends_after_the_cool_off(client, clock, maria) -> None:
    _fail(client, "maria", 5)
    clock.shift(timedelta(minutes=15, seconds=1))
    response = _login(client, "maria", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_attempts_while_locked_extend_the_lock_and_double_it(client, clock, maria) -> None:
    _fail(client, "maria", 5)
    for _ in range(4):  # failures 6 to 9: each keeps the 15 minutes from now
        clock.shift(timedelta(minutes=1))
        assert _locked_page(_login(client, "maria", PASSWORD))
    clock.shift(timedelta(minutes=1))
    assert _locked_page(_login(client, "maria", PASSWORD), wait="30 minutes")  # the 10th

    clock.shift(timedelta(minutes=29))
    assert _locked_page(_login(client, "maria", PASSWORD), wait="30 minutes")
    clock.shift(timedelta(minutes=30, seconds=1))
    assert _login(client, "maria", PASSWORD).status_code == 302


def test_after_a_lockout_one_more_failure_locks_again(client, clock, maria) -> None:
    _fail(client, "maria", 5)
    clock.shift(timedelta(minutes=15, seconds=1))
    assert _locked_page(_login(client, "maria", "wrong"))
    clock.shift(timedelta(minutes=15, seconds=1))
    assert _login(client, "maria", PASSWORD).status_code == 302


def test_failures_are_forgotten_after_a_day(client, clock, maria) -> None:
    _fail(client, "maria", 4)
    clock.shift(timedelta(hours=24, seconds=1))
    assert _fail(client, "maria", 4) == [200] * 4
    assert _login(client, "maria", PASSWORD).status_code == 302


def test_one_address_is_locked_across_accounts(clock, maria) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    statuses = [_login(attacker, f"guess{i}", "wrong").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert _locked_page(_login(attacker, "maria", PASSWORD))
    assert not _logged_in(attacker)

    colleague = Client(REMOTE_ADDR="198.51.100.7")
    assert _login(colleague, "maria", PASSWORD).status_code == 302


def test_a_login_forgets_only_its_own_failures(clock, make_staff, maria) -> None:
    # Someone with an account of their own cannot clear the count of the one they guess.
    make_staff("Analyst", "mallory")
    insider = Client(REMOTE_ADDR="203.0.113.5")
    assert _fail(insider, "maria", 4) == [200] * 4
    assert _login(insider, "mallory", PASSWORD).status_code == 302
    insider.logout()
    assert _locked_page(_login(insider, "maria", "wrong"))


def test_the_admin_login_is_throttled(client, clock) -> None:
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    assert _fail(client, "root", 4, url="/admin/login/") == [200] * 4
    assert _locked_page(_login(client, "root", "wrong", url="/admin/login/"))
    assert _locked_page(_login(client, "root", PASSWORD, url="/admin/login/"))
    assert not _logged_in(client)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "198.51.100.1", "203.0.113.5"),  # no proxy: the header is ignored
        (1, "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # a forged entry on the left
        (2, "10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.3", "198.51.100.1"),
        (2, "10.0.0.2", "198.51.100.1", "10.0.0.2"),  # fewer entries than proxies
        (1, "10.0.0.2", "", "10.0.0.2"),
        (1, "10.0.0.2", "unknown", "10.0.0.2"),
        (1, "10.0.0.2", "2001:DB8::0:1", "2001:db8::1"),
        (0, "", "", None),
    ],
)
def test_client_ip(settings, proxies, remote, forwarded, expected) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_behind_a_proxy_each_client_has_its_own_count(settings, clock, maria) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for i in range(5):  # a forged left-hand entry, different every time, changes nothing
        _login(proxy, f"guess{i}", "wrong", HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 198.51.100.1")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.1"}
    refused = _login(proxy, "maria", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert _locked_page(refused)

    colleague = Client(REMOTE_ADDR="10.0.0.2")
    response = _login(colleague, "maria", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("failures", "minutes"), [(5, 15), (9, 15), (10, 30), (15, 60), (40, 24 * 60), (10**6, 24 * 60)]
)
def test_lockout_duration_doubles_every_limit_up_to_a_day(failures: int, minutes: int) -> None:
    assert lockout_duration(failures, 5) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("seconds", "wait"),
    [(0, "1 minute"), (1, "1 minute"), (61, "2 minutes"), (7200, "120 minutes"), (7201, "3 hours")],
)
def test_lockout_message(seconds: int, wait: str) -> None:
    assert lockout_message(seconds) == LOCKED.format(wait)
