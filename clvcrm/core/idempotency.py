"""The ``Idempotency-Key`` header of API writes: a retried request gets the first answer.

A client that sends a write and loses the answer (a timeout, a dropped connection) cannot
know whether it happened. With an ``Idempotency-Key`` (any text of 1 to 255 visible ASCII
characters, unique per request, for example a UUID) it sends the same request again and
gets the first answer, marked ``Idempotent-Replayed: true``; nothing is written twice.
This follows the IETF draft "The Idempotency-Key HTTP Header Field" and Stripe's API:

- the key is scoped to the user whose token or session sent it;
- the same key with a different method, path or body (as JSON: spacing and the order of
  keys do not count) is refused (422), never replayed;
- a request sent again while the first is still running waits for it, then is answered
  with its answer (the key's row is inserted first, in the transaction of the write, and
  PostgreSQL makes a second insert of the same key wait for that transaction);
- an answer of 5xx, or an exception, is not stored: the transaction rolls back with it,
  and the request may be tried again with the same key;
- keys are kept ``IDEMPOTENCY_KEY_HOURS`` (24 by default), then deleted nightly.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from clvcrm.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_LENGTH = IdempotencyKey._meta.get_field("key").max_length or 255
# What the schema says of the header, on every write that takes it.
SCHEMA_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Any text of 1 to 255 visible ASCII characters, new for every new "
    "request (a UUID): a request sent again with it gets the first answer.",
)


def idempotent_write(request: Request, write: Callable[[], Response]) -> Response:
    """``write()``'s answer, in one transaction; with an ``Idempotency-Key``, only once.

    Without the header the write simply runs in its own transaction. With it, the first
    request's non-5xx answer is stored with the key and every later request with the same
    key and the same method, path and body gets that answer again without writing.
    """
    key = request.headers.get(HEADER)
    if key is None:
        with transaction.atomic():
            return write()
    problem = _key_problem(key)
    if problem:
        return _error(status.HTTP_400_BAD_REQUEST, "invalid", problem)
    user: User = request.user  # type: ignore[assignment]  # an authenticated write
    digest = _request_digest(request)
    with transaction.atomic():
        # Waits here for a transaction that inserted the same key and has not committed.
        IdempotencyKey.objects.bulk_create(
            [IdempotencyKey(user=user, key=key, request_digest=digest)], ignore_conflicts=True
        )
        stored = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
        if stored.request_digest != digest:
            return _error(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was sent with a different request; "
                "send a new key with every new request",
            )
        if stored.status_code is not None:
            return Response(
                stored.response, status=stored.status_code, headers={REPLAYED_HEADER: "true"}
            )
        response = write()
        if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
            transaction.set_rollback(True)
            return response
        IdempotencyKey.objects.filter(pk=stored.pk).update(
            status_code=response.status_code, response=response.data
        )
    return response


def idempotency_keys_expire() -> int:
    """Delete the keys older than ``IDEMPOTENCY_KEY_HOURS``; the number deleted."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _key_problem(key: str) -> str:
    if not 0 < len(key) <= KEY_LENGTH or not all(" " < c <= "~" for c in key):
        return f"must be 1 to {KEY_LENGTH} visible ASCII characters (a UUID, for example)"
    return ""


def _request_digest(request: Request) -> str:
    """What tells one request from another: method, path and the parsed body (so spacing
    and key order in the JSON do not count)."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, body):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def _error(status_code: int, code: str, message: str) -> Response:
    return Response(
        {"errors": [{"field": HEADER, "code": code, "message": message}]}, status=status_code
    )
