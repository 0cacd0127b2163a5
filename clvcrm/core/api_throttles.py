"""API throttling: per token and per client address, counted in the cache.

The rates are read from the settings at each request (``API_TOKEN_THROTTLE_RATE``,
``API_CLIENT_IP_THROTTLE_RATE``, ``WEBHOOK_CLIENT_IP_THROTTLE_RATE``, e.g. ``"1200/minute"``),
so a test or a deployment changes them without touching the classes. The client address is
the login throttle's: the one ``TRUSTED_PROXY_COUNT`` proxies vouch for, never what the
client wrote in X-Forwarded-For.

The per-token throttle is DRF's (``DEFAULT_THROTTLE_CLASSES``); the per-address ones are
applied by ``clvcrm.core.client_ip_throttle`` before any view runs, so that requests that
fail authentication and the shop webhooks (plain Django views) count too.
"""

import math
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
    rate_setting = "API_CLIENT_IP_THROTTLE_RATE"

    def get_rate(self) -> str | None:
        return str(getattr(settings, self.rate_setting))

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        address = client_ip(request._request) or "unknown"
        return self.cache_format % {"scope": self.scope, "ident": address}

    def retry_after(self) -> int:
        """Whole seconds until a refused client may ask again (the whole period when the
        history is longer than the rate, as after the rate was lowered)."""
        wait = self.wait()
        return math.ceil(wait if wait is not None else self.parse_rate(self.rate)[1] or 0)


class WebhookClientIpRateThrottle(ClientIpRateThrottle):
    """Shop webhook deliveries per client address, counted apart from the API's requests."""

    scope = "webhook_client_ip"
    rate_setting = "WEBHOOK_CLIENT_IP_THROTTLE_RATE"
