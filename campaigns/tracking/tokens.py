"""Signed tokens of the links in sent emails: the open pixel, click-throughs, unsubscribe.

Each purpose signs with its own salt, so a token of one purpose is refused as another
(an open token never unsubscribes anybody). A token is ``<value>.<signature>``: the value
holds base-62 ids (``message``; ``message-position``; ``customer-message``), the signature
is HMAC-SHA256 of value, salt and ``SECRET_KEY`` (django.core.signing), URL-safe base64.
About 50 to 60 characters, safe in a path.

The tokens carry no expiry on purpose: an unsubscribe link must work for as long as the
email sits in someone's mailbox (years; CAN-SPAM and RFC 8058 expect it to), and a click
months later should still reach the shop. Rotating ``SECRET_KEY`` invalidates every link
in every sent email; keep the old key in ``SECRET_KEY_FALLBACKS`` while they matter.

The ``*_read`` functions answer ``None`` for anything that is not a token we signed for
that purpose (tampered, truncated, another purpose's, garbage): the views treat all of
these alike.
"""

from django.core import signing

_SEP = "."  # not in the base-62 or URL-safe base64 alphabets
_OPEN = "campaigns.tracking.open"
_CLICK = "campaigns.tracking.click"
_UNSUBSCRIBE = "campaigns.tracking.unsubscribe"
# Ids are positive and below 2**63 (bigint): at most 11 base-62 digits.
_MAX_DIGITS = 11


def open_token(*, message_id: int) -> str:
    """The token of ``message_id``'s open pixel."""
    return _signer(_OPEN).sign(_encode(message_id))


def click_token(*, message_id: int, position: int) -> str:
    """The token of the click-through to the link at ``position`` of ``message_id``."""
    return _signer(_CLICK).sign(f"{_encode(message_id)}-{_encode(position)}")


def unsubscribe_token(*, customer_id: int, message_id: int) -> str:
    """The token of the unsubscribe link of ``message_id``, sent to ``customer_id``."""
    return _signer(_UNSUBSCRIBE).sign(f"{_encode(customer_id)}-{_encode(message_id)}")


def open_token_read(token: str) -> int | None:
    """The message id of a valid open token, else None."""
    values = _unsign(_OPEN, token, 1)
    return values[0] if values else None


def click_token_read(token: str) -> tuple[int, int] | None:
    """(message id, link position) of a valid click token, else None."""
    values = _unsign(_CLICK, token, 2)
    return (values[0], values[1]) if values else None


def unsubscribe_token_read(token: str) -> tuple[int, int] | None:
    """(customer id, message id) of a valid unsubscribe token, else None."""
    values = _unsign(_UNSUBSCRIBE, token, 2)
    return (values[0], values[1]) if values else None


def _encode(number: int) -> str:
    if number < 0:
        raise ValueError("ids and positions are not negative")
    return signing.b62_encode(number)


def _signer(salt: str) -> signing.Signer:
    # Made per call: a Signer reads SECRET_KEY and its fallbacks when it is made.
    return signing.Signer(salt=salt, sep=_SEP)


def _unsign(salt: str, token: str, count: int) -> list[int] | None:
    try:
        value = _signer(salt).unsign(token)
    except signing.BadSignature:
        return None
    parts = value.split("-")
    # Only what we signed gets here; the checks guard against a leaked key's creativity.
    if len(parts) != count or not all(_is_base62(part) for part in parts):
        return None
    return [signing.b62_decode(part) for part in parts]


def _is_base62(text: str) -> bool:
    return 0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isalnum()
