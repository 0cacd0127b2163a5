"""Check a variant's templates when it is saved, not at send time.

INTERFACE (services call this; keep its signature).

A template passes when it is within :data:`~campaigns.content.engine.MAX_TEMPLATE_CHARS`,
uses only the allowed tags (nesting ``for`` loops at most :data:`MAX_FOR_DEPTH` deep) and
filters, names only variables of the documented context, and renders with two sample
contexts: one where every value is filled in and one where everything optional is empty
(no tier, no points, no band, no recommendations). What renders with both renders at send
time: the real context has the same keys and types.
"""

from datetime import date
from typing import Any

from django.template import Context, TemplateSyntaxError
from django.template.base import Lexer, TokenType

from campaigns.content.engine import (
    ALLOWED_TAGS,
    INNER_TAGS,
    MAX_TEMPLATE_CHARS,
    CampaignEngine,
    context_freeze,
    template_compile,
    template_render,
)
from campaigns.content.extensions import context_providers

DOCS = "docs/campaign-templates.md"
# Loops over strings iterate their characters: loops nested deeper could take a renderer
# (and the save request) hours.
MAX_FOR_DEPTH = 2
# Marks a variable the full sample context lacks (a typo such as ``custmer.first_name``).
UNKNOWN = "\x00unknown variable\x00"

SAMPLE_CONTEXT: dict[str, Any] = {
    "customer": {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "full_name": "Ada Lovelace",
        "email": "ada@example.com",
    },
    "tier": "Gold",
    "points": {"balance": 1250, "expiring": 300, "expiring_on": date(2026, 1, 31)},
    "clv_band": "top 10%",
    "segment": {"code": "at_risk", "name": "At risk"},
    "offer_code": "CLV-TEST-CODE",
    "recommended_products": [
        {"sku": "TEA-1", "name": "Green tea", "category": "Tea"},
        {"sku": "MUG-1", "name": "Mug", "category": "Kitchen"},
        {"sku": "COF-2", "name": "Espresso beans", "category": "Coffee"},
    ],
    "shop": {"name": "Sample shop"},
}
EMPTY_CONTEXT: dict[str, Any] = {
    **SAMPLE_CONTEXT,
    "customer": {"first_name": "", "last_name": "", "full_name": "", "email": ""},
    "tier": "",
    "points": {"balance": 0, "expiring": 0, "expiring_on": None},
    "clv_band": "",
    "segment": {"code": "", "name": ""},
    "offer_code": "",
    "recommended_products": [],
}

# Finds variables missing from the full sample: what the real context lacks as well.
_STRICT = CampaignEngine()
_STRICT.string_if_invalid = UNKNOWN + "%s" + UNKNOWN


def variant_template_errors(
    *, subject: str, body_text: str, body_html: str, kind: str = ""
) -> dict[str, str]:
    """Errors by field name (``subject``, ``body_text``, ``body_html``); empty when valid.

    ``kind``: the campaign's; the variables its context providers add are known too.
    """
    errors: dict[str, str] = {}
    for field, source, html in (
        ("subject", subject, False),
        ("body_text", body_text, False),
        ("body_html", body_html, True),
    ):
        error = template_error(source, html=html, kind=kind)
        if error:
            errors[field] = error
    return errors


def template_error(source: str, *, html: bool, kind: str = "") -> str:
    """What is wrong with one template, starting with its line when known; "" if nothing."""
    if len(source) > MAX_TEMPLATE_CHARS:
        return f"Too long: at most {MAX_TEMPLATE_CHARS:,} characters."
    error = _tags_error(source)
    if error:
        return error
    try:
        template_compile(source)
    except TemplateSyntaxError as exc:
        return _syntax_message(exc)
    return _render_error(source, html=html, kind=kind)


def _tags_error(source: str) -> str:
    depth = 0
    for token in Lexer(source).tokenize():
        if token.token_type != TokenType.BLOCK or not token.contents.split():
            continue
        name = token.contents.split()[0]
        if name not in ALLOWED_TAGS and name not in INNER_TAGS:
            return (
                f"Line {token.lineno}: the tag {{% {name} %}} is not allowed in campaign "
                f"templates (allowed: {', '.join(ALLOWED_TAGS)}; see {DOCS})."
            )
        depth += {"for": 1, "endfor": -1}.get(name, 0)
        if depth > MAX_FOR_DEPTH:
            return f"Line {token.lineno}: for loops may be nested at most {MAX_FOR_DEPTH} deep."
    return ""


def _syntax_message(exc: TemplateSyntaxError) -> str:
    debug = getattr(exc, "template_debug", None)
    where = f"Line {debug['line']}: " if debug else ""
    message = str(exc)
    if message.startswith("Invalid filter:"):
        name = message.split(":", 1)[1].strip().strip("'")
        return f"{where}the filter |{name} is not allowed in campaign templates (see {DOCS})."
    return f"{where}{message}"


def _render_error(source: str, *, html: bool, kind: str) -> str:
    providers = context_providers(kind) if kind else []
    full = {**SAMPLE_CONTEXT, **{k: v for p in providers for k, v in p.sample.items()}}
    empty = {**EMPTY_CONTEXT, **{k: v for p in providers for k, v in p.empty_sample.items()}}
    try:
        sample = {key: context_freeze(value) for key, value in full.items()}
        rendered = _STRICT.from_string(source).render(Context(sample, autoescape=html))
        template_render(source, empty, html=html)
    except Exception as exc:  # any error here would otherwise happen at send time
        return f"Cannot be rendered: {exc}"
    if UNKNOWN in rendered:
        name = rendered.split(UNKNOWN)[1]
        return f"Unknown variable {{{{ {name} }}}}: not in the context described in {DOCS}."
    return ""
