"""The page's Content-Security-Policy nonce for inline scripts we do not write ourselves."""

import re

from django import template
from django.template.context import Context
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from clvcrm.core.static_finders import plotly_style_sheet_ids

register = template.Library()

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)")


@register.filter
def with_csp_nonce(html: str, nonce: str) -> SafeString:
    """Give every inline ``<script>`` of ``html`` the nonce, so the policy lets it run.

    Only for markup a template made (a third-party block, through ``block.super``), whose
    data Django has escaped: it cannot contain a ``<script>`` tag of anyone else's.
    """
    return mark_safe(INLINE_SCRIPT.sub(f'<script nonce="{nonce}"', str(html)))


@register.simple_tag(takes_context=True)
def plotly_style_sheets(context: Context) -> SafeString:
    """Empty ``<style>`` elements with the nonce under the ids plotly.js writes its CSS to."""
    nonce = context["request"].csp_nonce
    return format_html_join(
        "\n",
        '<style id="{}" nonce="{}"></style>',
        ((name, nonce) for name in plotly_style_sheet_ids()),
    )
