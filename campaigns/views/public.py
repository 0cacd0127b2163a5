"""The public pages sent emails link to (no login): the open pixel, click-throughs and
the unsubscribe page with its one-click POST (RFC 8058).

Every token is checked before anything is read or written; a token that is not ours for
that purpose gets the same neutral 404 page (the pixel: the same GIF), so the answers
teach a forger nothing and a click never redirects anywhere but to a URL the message
itself contained (its ``MessageLink`` rows, written when it was sent).
"""

import base64

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from campaigns.services.tracking import Visit, click_record, open_record, unsubscribe_record
from campaigns.tracking.tokens import click_token_read, open_token_read, unsubscribe_token_read
from clvcrm.core.login_throttle import client_ip
from clvcrm.core.public_pages import page_language, public_page

# The smallest transparent GIF (1×1, 43 bytes).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _visit(request: HttpRequest) -> Visit:
    return Visit(
        method=request.method or "GET",
        user_agent=request.headers.get("User-Agent", ""),
        client_ip=client_ip(request),
    )


@never_cache
@require_http_methods(["GET", "HEAD"])
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """The 1×1 GIF, always; a valid token's open is recorded first."""
    message_id = open_token_read(token)
    if message_id is not None:
        open_record(message_id=message_id, visit=_visit(request))
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_http_methods(["GET", "HEAD"])
def click(request: HttpRequest, token: str) -> HttpResponse:
    """302 to the message's own link at the token's position; anything else, 404."""
    values = click_token_read(token)
    link = None
    if values is not None:
        link = click_record(message_id=values[0], position=values[1], visit=_visit(request))
    if link is None:
        return _not_found(request)
    return HttpResponseRedirect(link.url)


@csrf_exempt  # the one-click POST comes from mail clients, with no cookie or CSRF token
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the confirmation page, whose button POSTs here. POST: unsubscribe, answer 200.

    The POST needs nothing but the token (RFC 8058's body ``List-Unsubscribe=One-Click``,
    or the page's form), never redirects, and is idempotent.
    """
    from customers.models import Customer

    values = unsubscribe_token_read(token)
    customer = None
    if values is not None:
        customer = Customer.objects.filter(pk=values[0]).only("id", "language").first()
    if values is None or customer is None:
        return _not_found(request)
    language = page_language(request, customer.language)
    if request.method == "POST":
        unsubscribe_record(
            customer_id=customer.pk,
            message_id=values[1],
            user_agent=request.headers.get("User-Agent", ""),
        )
        return public_page(request, "campaigns/public/unsubscribed.html", language, {})
    return public_page(
        request,
        "campaigns/public/unsubscribe.html",
        language,
        {"token": token, "languages": settings.LANGUAGES},
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    """The one answer to every bad link: no redirect, nothing about why."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return public_page(request, "campaigns/public/not_found.html", language, {}, status=404)
