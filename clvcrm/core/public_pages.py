"""Pages customers reach from an email without logging in (unsubscribe, survey answers):
their language and how they are answered."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation


def page_language(request: HttpRequest, customer_language: str) -> str:
    """The page's language: one chosen on the page (``?lang=``), else the customer's,
    else the shop's."""
    languages = {code for code, _ in settings.LANGUAGES}
    chosen = request.GET.get("lang", "")
    if chosen in languages:
        return chosen
    return customer_language if customer_language in languages else settings.LANGUAGE_CODE


def public_page(
    request: HttpRequest,
    template: str,
    language: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """``template`` rendered in ``language`` (``language`` in its context too), marked with
    its language and kept out of search engines."""
    with translation.override(language):
        body = render_to_string(template, {**context, "language": language}, request=request)
    response = HttpResponse(body, status=status)
    response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    return response
