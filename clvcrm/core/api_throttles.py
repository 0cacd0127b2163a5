"""API throttling: per token and per client address, counted in the cache.

The rates are read from the settings at each request (``API_TOKEN_THROTTLE_RATE``,
``API_CLIENT_IP_THROTTLE_RATE``, e.g. ``"1200/minute"``), so a test or a deployment changes
them without touching the classes. The client address is the login throttle's: the one
``TRUSTED_PROXY_COUNT`` proxies vouch for, never what the client wrote in X-Forwarded-For.
"""

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from clvcrm.core.login_throttle import client_ip
from clvcrm.core.models import ApiToken


class ApiTokenRateThrottle(SimpleRateThrottle):
    """Requests per API token; session requests are not counted here."""

    scope = "api_token"

    def get_rate(self) -> str | None:
        return str(settings.API_TOKEN_THROTTLE_RATE)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class ClientIpRateThrottle(SimpleRateThrottle):
    """Requests per client address, whoever is logged in (or nobody)."""

    scope = "api_client_ip"

    def get_rate(self) -> str | None:
        return str(settings.API_CLIENT_IP_THROTTLE_RATE)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        address = client_ip(request._request) or "unknown"
        return self.cache_format % {"scope": self.scope, "ident": address}
