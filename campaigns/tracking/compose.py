"""Make a rendered email ready to send.

INTERFACE (the outbox calls this; keep its signature): :func:`email_finish` returns the
email with tracked links, the open pixel and the footer, the headers to add (the two
unsubscribe headers of RFC 8058) and the original URLs by position (stored as
``MessageLink`` rows by the sender, in the same batch).
"""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from campaigns.content.extensions import untracked_paths
from campaigns.content.render import RenderedEmail
from campaigns.tracking.tokens import click_token, open_token, unsubscribe_token

# A URL in the text body ends at whitespace or a character that cannot be in one; sentence
# punctuation right after it ("see https://shop.example/sale.") is not part of it.
_TEXT_URL = re.compile(r"""https?://[^\s<>"'`]+""", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
_HTTP = re.compile(r"https?://", re.IGNORECASE)


@dataclass(frozen=True)
class FinishedEmail:
    email: RenderedEmail
    headers: dict[str, str]
    links: list[str]  # the message's own URLs; a click token names one by its position


def email_finish(
    *, message_id: int, customer_id: int, language: str, rendered: RenderedEmail
) -> FinishedEmail:
    """Links tracked, pixel and footer added, unsubscribe headers: the email as sent.

    Every ``http(s)`` link of the HTML body (``href`` of ``<a>``) and every ``http(s)``
    URL of the text body becomes ``{SITE_URL}/m/c/<token>/``; ``links`` lists the original
    URLs, each once, in order of first appearance (HTML first), and a click token names
    its position there; links under a path registered with
    :func:`campaigns.content.extensions.link_untracked_register` stay as they are. The
    HTML body (when there is one) gets the 1×1 open pixel; both bodies get a footer with a
    visible unsubscribe link and the shop's name and postal address, in ``language`` (else
    ``LANGUAGE_CODE``). Every URL is built from ``SITE_URL``, never from a request.
    """
    # Each original URL → its tracked URL, in order of first appearance (its position); a
    # URL in both bodies is signed once.
    tracked_urls: dict[str, str] = {}

    untracked = tuple(settings.SITE_URL + path for path in untracked_paths())

    def tracked(url: str) -> str:
        if url.startswith(untracked):
            return url  # carries a secret: never stored, never redirected
        if url not in tracked_urls:
            token = click_token(message_id=message_id, position=len(tracked_urls))
            tracked_urls[url] = f"{settings.SITE_URL}/m/c/{token}/"
        return tracked_urls[url]

    unsubscribe_url = (
        f"{settings.SITE_URL}/m/u/"
        f"{unsubscribe_token(customer_id=customer_id, message_id=message_id)}/"
    )
    words = _footer_words(language or settings.LANGUAGE_CODE, settings.SHOP_NAME)
    html_body = ""
    if rendered.html:
        pixel = (
            f'<img src="{settings.SITE_URL}/m/o/{open_token(message_id=message_id)}.gif" '
            'width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">'
        )
        footer = _html_footer(unsubscribe_url, words)
        html_body = _html_finish(rendered.html, tracked, footer + pixel)
    text_body = _text_links_track(rendered.text, tracked)
    text_body = text_body.rstrip("\n") + "\n\n" + _text_footer(unsubscribe_url, words)
    return FinishedEmail(
        email=RenderedEmail(subject=rendered.subject, text=text_body, html=html_body),
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        links=list(tracked_urls),
    )


def _text_links_track(text: str, tracked: Callable[[str], str]) -> str:
    def replace(match: re.Match[str]) -> str:
        url = match.group(0)
        kept = url.rstrip(_TRAILING_PUNCTUATION)
        return tracked(kept) + url[len(kept) :] if len(kept) > len("https://") else url

    return _TEXT_URL.sub(replace, text)


class _AnchorFinder(HTMLParser):
    """Finds each ``<a>`` start tag: where it is in the source and its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[tuple[int, int], str, list[tuple[str, str | None]], bool]] = []
        self.body_end: tuple[int, int] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._anchor(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._anchor(tag, attrs, closed=True)

    def handle_endtag(self, tag: str) -> None:
        if tag == "body":
            self.body_end = self.getpos()

    def _anchor(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        raw = self.get_starttag_text()
        if tag == "a" and raw is not None:
            self.anchors.append((self.getpos(), raw, attrs, closed))


def _html_finish(source: str, tracked: Callable[[str], str], addition: str) -> str:
    """Rewrite the ``href`` of each ``<a>`` whose value is an http(s) URL, and put
    ``addition`` before ``</body>`` (at the end when there is none), in one parse.

    The parser (the standard library's) finds the tags; only those tags' text is replaced,
    so the rest of the HTML reaches the reader byte for byte. Attribute values come back
    unescaped (``&amp;`` is ``&``): the stored URL is the one the reader's client would
    have followed.
    """
    finder = _AnchorFinder()
    finder.feed(source)
    finder.close()
    offsets = _line_offsets(source)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in the source
    for (line, column), raw, attrs, closed in finder.anchors:
        start = offsets[line - 1] + column
        if source[start : start + len(raw)] != raw:  # never expected; leave the tag alone
            continue
        rewritten = _anchor_rewrite(attrs, closed, tracked)
        if rewritten is not None:
            edits.append((start, start + len(raw), rewritten))
    if finder.body_end is None:
        edits.append((len(source), len(source), addition))
    else:
        line, column = finder.body_end
        at = offsets[line - 1] + column
        edits.append((at, at, addition))
    pieces: list[str] = []
    done = 0
    for start, end, replacement in sorted(edits, key=lambda edit: edit[0]):
        pieces += [source[done:start], replacement]
        done = end
    pieces.append(source[done:])
    return "".join(pieces)


def _anchor_rewrite(
    attrs: list[tuple[str, str | None]], closed: bool, tracked: Callable[[str], str]
) -> str | None:
    changed = False
    parts = ["<a"]
    for name, value in attrs:
        if name == "href" and value is not None and _HTTP.match(value.strip()):
            value = tracked(value.strip())
            changed = True
        parts.append(f" {name}" if value is None else f' {name}="{html.escape(value)}"')
    parts.append(" />" if closed else ">")
    return "".join(parts) if changed else None


def _line_offsets(source: str) -> list[int]:
    """The offset of each line's first character (the parser counts lines from 1)."""
    offsets = [0]
    for match in re.finditer("\n", source):
        offsets.append(match.end())
    return offsets


@dataclass(frozen=True)
class _FooterWords:
    notice: str  # "You receive this email because you are a customer of <shop>."
    unsubscribe_line: str  # "Unsubscribe: %(url)s"
    unsubscribe: str


@lru_cache(maxsize=64)
def _footer_words(language: str, shop: str) -> _FooterWords:
    """The footer's sentences in ``language``: the same for every message of a language,
    so translated once, not per message."""
    with translation.override(language):
        return _FooterWords(
            notice=gettext("You receive this email because you are a customer of %(shop)s.")
            % {"shop": shop},
            unsubscribe_line=gettext("Unsubscribe: %(url)s"),
            unsubscribe=gettext("Unsubscribe"),
        )


def _text_footer(unsubscribe_url: str, words: _FooterWords) -> str:
    return "\n".join(
        [
            "-- ",
            words.notice,
            words.unsubscribe_line % {"url": unsubscribe_url},
            f"{settings.SHOP_NAME}, {settings.SHOP_POSTAL_ADDRESS}",
            "",
        ]
    )


def _html_footer(unsubscribe_url: str, words: _FooterWords) -> str:
    shop = html.escape(settings.SHOP_NAME)
    link = f'<a href="{html.escape(unsubscribe_url)}">{html.escape(words.unsubscribe)}</a>'
    address = html.escape(settings.SHOP_POSTAL_ADDRESS)
    return (
        '<div style="margin-top:24px;padding-top:12px;border-top:1px solid #ddd;'
        'font-size:12px;line-height:1.5;color:#666">'
        f"<p>{html.escape(words.notice)} {link}</p><p>{shop}, {address}</p></div>"
    )
