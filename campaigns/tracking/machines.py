"""Which opens and clicks are machines', not people's.

Part 2 compares variants by opens and clicks: a variant must not win on a mail-privacy
proxy or a link scanner. Every open and click is recorded as a ``MessageEvent``; one that
matches a rule below is flagged (``is_machine``, ``machine_reason`` naming the rule) and
not counted in ``Message.opens``/``clicks``/``first_*_at``. The rules, in order (the first
that matches names the reason):

1. ``head_request`` — an HTTP HEAD: people's mail clients GET; scanners check links with
   HEAD.
2. ``empty_user_agent`` — no ``User-Agent`` header: every mail client and browser sends one.
3. ``apple_privacy`` — Apple Mail Privacy Protection: Apple's proxy fetches every image of
   every message on delivery, whether or not it is read, with the bare user agent
   ``Mozilla/5.0`` (nothing else), or from Apple's own network 17.0.0.0/8.
4. ``scanner:<name>`` — a user agent of a security gateway, link scanner or generic HTTP
   tool (:data:`SCANNER_AGENTS`, matched case-insensitively as a substring): Barracuda,
   Mimecast, Proofpoint, Microsoft Safe Links and Office's link discovery, Symantec,
   Trend Micro, Sophos, Cisco IronPort, Forcepoint, FireEye, Zscaler, Avanan/Check Point,
   headless browsers, and anything calling itself a bot, crawler or spider, or a
   programming-language HTTP client.
5. ``too_soon`` — within :data:`TOO_SOON` of the message's ``sent_at``: no person reads an
   email that fast; gateways scan it on delivery.
6. ``click_burst`` (clicks only) — a click on a message nobody has (humanly) opened yet
   that arrives within the same second as another click of that message: scanners
   follow every link at once. The earlier clicks of the burst are flagged with it, and
   uncounted, when the second one arrives.

Deliberately *not* machine:

- ``GoogleImageProxy`` (Gmail) and ``YahooMailProxy``: these proxies fetch the pixel when
  the person opens the message (and cache it, so a second open may not reach us); they
  are the only trace of real Gmail and Yahoo opens, so they count as human. Their user
  agent is recorded, so a later analysis can still treat them apart.
- Outlook's own image fetches (``Microsoft Office/16.0 … Microsoft Outlook``): a person
  opening the message. Office's *link discovery* requests (``Microsoft Office Existence
  Discovery``, ``ms-office``) and Safe Links (``SafeLinks``) are scanners.

An open pixel loaded because the person clicked (images off) is not inferred: opens are
what the pixel saw.
"""

import ipaddress
from datetime import datetime, timedelta

TOO_SOON = timedelta(seconds=5)
# Clicks closer together than this on an unopened message are one scanner's burst.
CLICK_BURST = timedelta(seconds=1)
# What Apple Mail Privacy Protection's proxy sends, exactly.
APPLE_PRIVACY_AGENT = "Mozilla/5.0"
APPLE_NETWORK = ipaddress.ip_network("17.0.0.0/8")
# Substring (lower case) → the name recorded in ``machine_reason``.
SCANNER_AGENTS: dict[str, str] = {
    "barracuda": "barracuda",
    "mimecast": "mimecast",
    "proofpoint": "proofpoint",
    "ppops-": "proofpoint",
    "safelinks": "microsoft_safe_links",
    "microsoft office existence discovery": "microsoft_office",
    "microsoft office protocol discovery": "microsoft_office",
    "ms-office": "microsoft_office",
    "symantec": "symantec",
    "messagelabs": "symantec",
    "trend micro": "trend_micro",
    "trendmicro": "trend_micro",
    "sophos": "sophos",
    "ironport": "cisco_ironport",
    "cisco": "cisco",
    "forcepoint": "forcepoint",
    "fireeye": "fireeye",
    "zscaler": "zscaler",
    "avanan": "check_point",
    "check point": "check_point",
    "headlesschrome": "headless_browser",
    "phantomjs": "headless_browser",
    "bot": "bot",
    "crawler": "bot",
    "spider": "bot",
    "python-requests": "http_client",
    "python-urllib": "http_client",
    "curl/": "http_client",
    "wget/": "http_client",
    "go-http-client": "http_client",
    "java/": "http_client",
    "okhttp": "http_client",
    "libwww": "http_client",
    "apache-httpclient": "http_client",
}


def machine_reason(
    *,
    method: str,
    user_agent: str,
    client_ip: str | None,
    sent_at: datetime | None,
    occurred_at: datetime,
) -> str:
    """The rule (1 to 5 of the module's docstring) an open or click matches, or ``""``."""
    if method == "HEAD":
        return "head_request"
    agent = user_agent.strip()
    if not agent:
        return "empty_user_agent"
    if agent == APPLE_PRIVACY_AGENT or _in_apple_network(client_ip):
        return "apple_privacy"
    lowered = agent.lower()
    for needle, name in SCANNER_AGENTS.items():
        if needle in lowered:
            return f"scanner:{name}"
    if sent_at is not None and occurred_at - sent_at < TOO_SOON:
        return "too_soon"
    return ""


def _in_apple_network(client_ip: str | None) -> bool:
    if not client_ip:
        return False
    try:
        return ipaddress.ip_address(client_ip) in APPLE_NETWORK
    except ValueError:
        return False
