"""The project's own ``manage.py check --deploy`` checks."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def site_url_is_https(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Every link an email carries (unsubscribe, tracking, survey answers) is built from
    ``SITE_URL``: in production it must be HTTPS, or mail clients and RFC 8058's one-click
    unsubscribe would send the customer's token in the clear."""
    if str(settings.SITE_URL).lower().startswith("https://"):
        return []
    return [
        Warning(
            f"SITE_URL is {settings.SITE_URL!r}, not an https:// address.",
            hint="The links in emails (unsubscribe, tracking, surveys) are built from it; "
            "set SITE_URL=https://your-host.",
            id="clvcrm.W001",
        )
    ]
