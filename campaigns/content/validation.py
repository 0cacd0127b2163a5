"""Check a variant's templates when it is saved, not at send time.

INTERFACE (services call this; keep its signature).
"""


def variant_template_errors(*, subject: str, body_text: str, body_html: str) -> dict[str, str]:
    """Errors by field name (``subject``, ``body_text``, ``body_html``); empty when valid."""
    return {}
