"""A campaign's email as Django sends it, made into bytes with less work per message.

Turning each email into MIME was the largest share of a sender's CPU (by a profile of
``batch_send``): the standard library's generator folds every header through
``email.header.Header`` and checks a fresh random boundary with a regular expression
compiled anew for each message. :class:`CampaignEmail` changes neither the bytes' form
nor Django's API: a header line that needs no folding is written as it is (the folding
would give it back unchanged; ``tests/campaigns/test_outbox_mime.py`` holds the two
paths to the same bytes), and the boundary is chosen here.
"""

import secrets
from email.policy import Compat32
from typing import Any

from django.core.mail import EmailMultiAlternatives


class ShortHeaderLines(Compat32):
    """The ``compat32`` policy Django's messages use, with one shortcut: a header value
    that is a plain string of printable ASCII, without leading, trailing or repeated
    spaces, whose line fits in ``max_line_length``, is written as ``Name: value``.
    Everything else (encoded words, long lines, ``Header`` objects) is folded as before.
    """

    def fold(self, name: str, value: str) -> str:
        if isinstance(value, str) and needs_no_folding(name, value, self.max_line_length):
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if isinstance(value, str) and needs_no_folding(name, value, self.max_line_length):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


def needs_no_folding(name: str, value: str, max_line_length: int | None) -> bool:
    """Whether ``compat32`` would write ``name: value`` on one line, unchanged."""
    return (
        max_line_length is not None
        and len(name) + 2 + len(value) <= max_line_length
        and value.isascii()
        and value.isprintable()
        and value == value.strip()
        and "  " not in value
    )


SHORT_HEADER_LINES = ShortHeaderLines()


class CampaignEmail(EmailMultiAlternatives):
    """A campaign's email: Django's, with :class:`ShortHeaderLines` and its own boundary.

    The boundary is 128 random bits, drawn again in the (never seen) case that a body
    contains it.
    """

    def message(self, **kwargs: Any) -> Any:  # as the stubs have it: Django 6's signature
        message = super().message(**kwargs)
        message.policy = SHORT_HEADER_LINES  # the generator folds with the root's policy
        if message.is_multipart():
            bodies = [self.body, *(str(alternative[0]) for alternative in self.alternatives)]
            boundary = _boundary_new()
            while any(boundary in body for body in bodies):
                boundary = _boundary_new()
            message.set_boundary(boundary)
        return message


def _boundary_new() -> str:
    return f"==clvcrm-{secrets.token_hex(16)}=="
