"""Login throttling: django-axes, per account and per client address, with back-off.

Every failed login (the login page, the admin login) is a row of axes' ``AccessAttempt``
table, so every web worker sees the same counts. A client is locked once
``LOGIN_FAILURE_LIMIT`` failures within the last 24 hours come from its address or name its
account; while locked even the right password is refused. The lock lasts
``LOGIN_LOCKOUT_MINUTES`` from the last failure and doubles with every further
``LOGIN_FAILURE_LIMIT`` failures (up to 24 hours), and every attempt while locked counts as
one: after the first lockout, an account gets one guess per lockout period, fewer and fewer.
"""

import ipaddress
import math
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import status

# Doubling stops here: the lock never outlives the 24 hours failures are remembered.
LONGEST_DOUBLING = 16


def client_ip(request: HttpRequest) -> str | None:
    """The client's address (axes' ``AXES_CLIENT_IP_CALLABLE``).

    ``REMOTE_ADDR`` when ``TRUSTED_PROXY_COUNT`` is 0. Behind n trusted proxies, each of
    which appends the address it saw to ``X-Forwarded-For``, the client is the n-th entry
    from the right; entries further left are whatever the client sent, so never trusted. A
    header with fewer entries than proxies did not come through them all: ``REMOTE_ADDR``.
    """
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [entry.strip() for entry in header.split(",") if entry.strip()]
    if len(forwarded) < proxies:
        return remote
    return _address(forwarded[-proxies]) or remote


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def lockout_duration(failures: int, limit: int) -> timedelta:
    """How long ``failures`` (at least ``limit``) lock a client, counted from the last one."""
    doublings = min((failures - limit) // limit, LONGEST_DOUBLING)
    base = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return min(base * 2**doublings, settings.AXES_COOLOFF_TIME)


class BackoffDatabaseHandler(AxesDatabaseHandler):
    """axes' database handler with the lock of :func:`lockout_duration`.

    ``AXES_COOLOFF_TIME`` (24 hours) is how long failures are remembered; whether they lock
    is decided here, from their count and the time of the last one.
    """

    def is_locked(self, request: Any, credentials: dict | None = None) -> bool:
        return self.locked_until(request, credentials) is not None

    def locked_until(self, request: Any, credentials: dict | None = None) -> datetime | None:
        """When the lock on this request's account or address ends; ``None`` if unlocked."""
        limit = get_failure_limit(request, credentials)
        ends = []
        for attempts in self.get_user_attempts(request, credentials):
            seen = attempts.aggregate(
                failures=Sum("failures_since_start"), last=Max("attempt_time")
            )
            if (seen["failures"] or 0) >= limit:
                ends.append(seen["last"] + lockout_duration(seen["failures"], limit))
        end = max(ends, default=None)
        return end if end is not None and end > request.axes_attempt_time else None

    def reset_user_attempts(self, request: Any, credentials: dict | None = None) -> int:
        """After a successful login, forget this account's own failures from this address.

        axes' default forgets every failure of the address too, so anyone holding an account
        could clear the count of the accounts they are guessing by logging in between guesses.
        """
        username = get_client_username(request, credentials)
        attempts = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        )
        count, _ = attempts.delete()
        return count


def lock_seconds_left(request: Any, credentials: dict | None = None) -> int:
    """Seconds until the lock on this request ends (0 if it is not locked)."""
    handler = AxesProxyHandler.get_implementation()
    until = handler.locked_until(request, credentials)
    return math.ceil((until - request.axes_attempt_time).total_seconds()) if until else 0


def lockout_message(seconds: int) -> str:
    """What a locked-out client is told, with the wait rounded up."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes <= 120:
        wait = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    else:
        hours = math.ceil(minutes / 60)
        wait = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return _(
        "Too many failed logins for this account or from this address. Try again in %(wait)s."
    ) % {"wait": wait}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page of a locked-out login (axes' ``AXES_LOCKOUT_CALLABLE``): 429 and the wait."""
    seconds = lock_seconds_left(request, credentials)
    response = render(
        request,
        "registration/locked_out.html",
        {"message": lockout_message(seconds)},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(seconds)
    return response
