"""Requests counted per client address before any view runs: the shop webhooks.

They are plain Django views, so DRF's throttles never see them. Counted here, with DRF's own
throttle classes and their history in the cache, a flood of forged signatures is refused with
429 before it costs a query, a read of the body or an HMAC.
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
