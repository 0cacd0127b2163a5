"""API tokens: making them, revoking them, and the ``Authorization`` header that carries one.

A token is ``clv_`` and 43 URL-safe characters (32 random bytes from :mod:`secrets`); the
database keeps its SHA-256, so a copy of the database lets nobody call the API. A token's
last use is written at most once a minute, by a conditional UPDATE that concurrent requests
cannot repeat.
"""

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from clvcrm.core.models import ApiToken

TOKEN_MARK = "clv_"
PREFIX_LENGTH = len(TOKEN_MARK) + 6
# The schemes accepted before the token, compared case-insensitively.
SCHEMES = ("bearer", "token")
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,200}")
LAST_USE_RESOLUTION = timedelta(minutes=1)


def token_hash(token: str) -> str:
    """The SHA-256 (hexadecimal) under which ``token`` is stored."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user``: its row and the token itself (shown once, never stored)."""
    token = TOKEN_MARK + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user, name=name, prefix=token[:PREFIX_LENGTH], key_hash=token_hash(token)
    )
    return row, token


def api_tokens_revoke(*, tokens: Any) -> int:
    """Revoke the tokens of the queryset ``tokens`` not yet revoked; how many were."""
    return int(tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now()))


def api_token_record_use(*, token: ApiToken) -> None:
    """Record that ``token`` was used now, unless that was recorded within the last minute."""
    now = timezone.now()
    last = token.last_used_at
    if last is not None and now - last < LAST_USE_RESOLUTION:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` (or ``Token <token>``).

    No header: not this authentication (the session may log the user in). A header in any
    other form, an unknown or revoked token, or an inactive or non-staff user: 401.
    """

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = get_authorization_header(request)
        if not header:
            return None
        token = _token_from(header)
        try:
            row = ApiToken.objects.select_related("user").get(key_hash=token_hash(token))
        except ApiToken.DoesNotExist:
            raise AuthenticationFailed("Invalid API token.", code="invalid_token") from None
        if row.revoked_at is not None:
            raise AuthenticationFailed("This API token has been revoked.", code="revoked_token")
        if not (row.user.is_active and row.user.is_staff):
            raise AuthenticationFailed(
                "The API token's user is inactive or no longer staff.", code="inactive_user"
            )
        api_token_record_use(token=row)
        return row.user, row

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def _token_from(header: bytes) -> str:
    """The token of an ``Authorization`` header, or a 401 saying what form it must take."""
    parts = header.split()
    if len(parts) != 2 or parts[0].decode("latin-1").lower() not in SCHEMES:
        raise AuthenticationFailed(
            "Malformed Authorization header: send 'Authorization: Bearer <token>'.",
            code="malformed_header",
        )
    token = parts[1].decode("latin-1")
    if not TOKEN_SHAPE.fullmatch(token):
        raise AuthenticationFailed("Invalid API token.", code="invalid_token")
    return token
