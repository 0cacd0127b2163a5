"""Requests counted per client address before any view runs: the shop webhooks and the API.

Counted here, with DRF's own throttle classes and their history in the cache, rather than
by DRF's throttling:

- the shop webhooks are plain Django views, which DRF's throttles never see: a flood of
  forged signatures is refused with 429 before it costs a query, a read of the body or an
  HMAC;
- DRF authenticates and checks permissions before it throttles, so a request with a wrong
  or no token was answered 401 without ever being counted, and tokens could be guessed at
  full speed. Counting in the authentication's failure path would still miss requests
  without credentials (DRF refuses those in its permission check) and would still look
  each guess up in the database; counted here, every request under ``/api/`` counts, and
  past the rate nothing of it is read but its address. DRF keeps the per-token throttle,
  which needs the token authenticated.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.views import APIView

from clvcrm.core.api_throttles import ClientIpRateThrottle, WebhookClientIpRateThrottle

# Paths whose requests are counted per client address before any view runs, and the
# throttle that counts them: the first prefix that matches decides.
CLIENT_IP_THROTTLES: tuple[tuple[str, type[ClientIpRateThrottle]], ...] = (
    ("/api/v1/webhooks/", WebhookClientIpRateThrottle),
    ("/api/", ClientIpRateThrottle),
)


class ClientIpThrottleMiddleware:
    """Refuse with 429 (the API's error format, ``Retry-After``) a client address past the
    rate of the throttle its path falls under in :data:`CLIENT_IP_THROTTLES`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for prefix, throttle_class in CLIENT_IP_THROTTLES:
            if request.path_info.startswith(prefix):
                throttle = throttle_class()
                # DRF's check, on the request wrapped as DRF would: only its address is read.
                if not throttle.allow_request(Request(request), APIView()):
                    return throttled_response(throttle.retry_after())
                break
        return self.get_response(request)


def throttled_response(seconds: int) -> JsonResponse:
    """DRF's answer to a throttled request, outside DRF: 429, its message, ``Retry-After``."""
    refusal = Throttled(seconds)
    error = {"field": None, "code": refusal.default_code, "message": str(refusal.detail)}
    response = JsonResponse({"errors": [error]}, status=refusal.status_code)
    response["Retry-After"] = str(seconds)
    return response
