"""Invitation tokens: rebuilt from a stored salt, found by a stored hash, never stored.

``salt``: 128 random bits from :mod:`secrets` (32 hex digits), stored. ``token``: the
URL-safe base64 (no padding, 43 characters) of HMAC-SHA256 over the salt, keyed by a key
derived from ``SECRET_KEY`` (:func:`django.utils.crypto.salted_hmac` with this module's
purpose), so it carries 256 bits and cannot be computed without the key. ``token_hash``:
SHA-256 of the token, stored under a unique index; the answer page looks an invitation up
by the hash of the token it was given, then compares the rebuilt token in constant time.

A copy of the database alone gives salts and hashes: no token (that needs ``SECRET_KEY``)
and no preimage of a hash. Rotating ``SECRET_KEY`` breaks the links of unsent and sent
invitations alike unless the old key stays in ``SECRET_KEY_FALLBACKS`` (which are tried).
"""

import base64
import hashlib
import hmac
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

_PURPOSE = "feedback.invitation"
SALT_BYTES = 16  # 128 bits
TOKEN_LENGTH = 43  # base64 of 32 bytes, without padding
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def salt_new() -> str:
    """A fresh random salt (hex)."""
    return secrets.token_hex(SALT_BYTES)


def token_of(salt: str, *, secret: str | None = None) -> str:
    """The token of ``salt`` under ``secret`` (default ``SECRET_KEY``)."""
    digest = salted_hmac(_PURPOSE, salt, secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_hash(token: str) -> str:
    """What is stored to find the invitation of ``token`` (hex SHA-256)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_well_formed(token: str) -> bool:
    """Whether ``token`` could be one of ours at all (length and alphabet): anything else
    is refused before it costs a hash or a query."""
    return len(token) == TOKEN_LENGTH and _ALPHABET.issuperset(token)


def token_matches(token: str, salt: str) -> bool:
    """Whether ``token`` is the token of ``salt`` under ``SECRET_KEY`` or a fallback
    (constant-time comparisons)."""
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    matches = [hmac.compare_digest(token, token_of(salt, secret=key)) for key in keys]
    return any(matches)


def salt_and_hash_new() -> tuple[str, str]:
    """A new invitation's salt and token hash."""
    salt = salt_new()
    return salt, token_hash(token_of(salt))
