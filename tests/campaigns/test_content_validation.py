"""Campaign templates: only the documented tags and filters, refused when saved."""

import pytest
from django.core.exceptions import ValidationError
from django.template import TemplateSyntaxError

from campaigns.content.engine import ENGINE, MAX_TEMPLATE_CHARS, plain_data_check
from campaigns.content.validation import variant_template_errors
from campaigns.models import Campaign, Variant
from campaigns.services.campaigns import campaign_create, campaign_update
from customers.models import Customer, Segment

from .content_builders import campaign_with_variant

pytestmark = pytest.mark.django_db  # segments and tiers come from the migrations

TAGS = "comment, cycle, firstof, for, if, resetcycle, spaceless, with"
DOCS = "docs/campaign-templates.md"


def refused_tag(line: int, tag: str) -> str:
    return (
        f"Line {line}: the tag {{% {tag} %}} is not allowed in campaign templates "
        f"(allowed: {TAGS}; see {DOCS})."
    )


def refused_filter(line: int, name: str) -> str:
    return f"Line {line}: the filter |{name} is not allowed in campaign templates (see {DOCS})."


def errors(subject: str = "Hi", body_text: str = "Hi", body_html: str = "") -> dict[str, str]:
    return variant_template_errors(subject=subject, body_text=body_text, body_html=body_html)


@pytest.mark.parametrize(
    ("source", "tag"),
    [
        ("{% include 'base.html' %}", "include"),
        ("{% extends 'base.html' %}", "extends"),
        ("{% load static %}{% static 'x' %}", "load"),
        ("{% ssi '/etc/passwd' %}", "ssi"),
        ("{% debug %}", "debug"),
        ("{% url 'admin:index' %}", "url"),
        ("{% csrf_token %}", "csrf_token"),
        ("{% autoescape off %}{{ customer.first_name }}{% endautoescape %}", "autoescape"),
        ("{% block body %}{% endblock %}", "block"),
        ("{% templatetag openblock %}", "templatetag"),
        ("{% now 'Y' %}", "now"),
    ],
)
def test_a_tag_outside_the_allowed_set_is_refused_with_its_line(source, tag):
    assert errors(body_html=f"<p>Hello</p>\n\n{source}") == {"body_html": refused_tag(3, tag)}


def test_the_engine_itself_knows_none_of_the_refused_tags():
    for source in ("{% include 'base.html' %}", "{% load static %}", "{% extends 'x' %}"):
        with pytest.raises(TemplateSyntaxError, match="Invalid block tag"):
            ENGINE.from_string(source)
    assert ENGINE.template_libraries == {}


def test_an_unknown_or_unsafe_filter_is_refused_naming_the_field_and_line():
    assert errors(
        subject="{{ customer.first_name|bogus }}",
        body_text="Hi\n{{ customer.first_name|safe }}",
        body_html="<p>\n\n{{ customer.email|urlize }}</p>",
    ) == {
        "subject": refused_filter(1, "bogus"),
        "body_text": refused_filter(2, "safe"),
        "body_html": refused_filter(3, "urlize"),
    }


def test_syntax_errors_unknown_variables_too_long_and_deep_loops_are_refused():
    deep = "{% for a in recommended_products %}{% for b in a.name %}\n{% for c in b %}"
    assert errors(
        subject="{% if %}yes{% endif %}",
        body_text="Dear {{ custmer.first_name }}",
        body_html=deep + "{% endfor %}{% endfor %}{% endfor %}",
    ) == {
        "subject": "Line 1: Unexpected end of expression in if tag.",
        "body_text": f"Unknown variable {{{{ custmer.first_name }}}}: not in the context "
        f"described in {DOCS}.",
        "body_html": "Line 2: for loops may be nested at most 2 deep.",
    }
    assert errors(body_text="x" * (MAX_TEMPLATE_CHARS + 1)) == {
        "body_text": f"Too long: at most {MAX_TEMPLATE_CHARS:,} characters."
    }


def test_templates_using_the_whole_documented_context_pass():
    html = """
    {% spaceless %}<p>{{ customer.first_name|default:"there"|title }}</p>{% endspaceless %}
    {{ tier|lower }} {% if points.expiring %}<p>{{ points.expiring }} of {{ points.balance }}
    point{{ points.balance|pluralize }} expire on {{ points.expiring_on|date:"j F Y" }}</p>
    {% endif %}{% with band=clv_band %}{{ band|upper }}{% endwith %} {{ segment.code }}
    {{ segment.name }} {% for product in recommended_products %}
    <li class="{% cycle 'odd' 'even' %}">{{ product.name|truncatechars:20 }}
    ({{ product.sku }}, {{ product.category }})</li>{% empty %}<li>none</li>{% endfor %}
    {% firstof offer_code "NOCODE" %} {{ shop.name|urlencode }} {{ customer.email }}
    {{ customer.full_name }} {# a note #}{% comment %}staff notes{% endcomment %}
    """
    assert errors(subject="{{ customer.last_name }}: {{ shop.name }}", body_html=html) == {}


def test_a_refused_template_is_shown_when_the_campaign_is_saved_and_nothing_is_written():
    with pytest.raises(ValidationError) as raised:
        campaign_create(
            fields={
                "name": "Win-back",
                "trigger": "broadcast",
                "segment": Segment.objects.get(code="at_risk"),
            },
            variants=[
                {"name": "A", "subject": "Hi", "body_text": "Hi"},
                {"name": "B", "subject": "Hi", "body_text": "Hi", "body_html": "{% include 'x' %}"},
            ],
        )
    assert raised.value.message_dict == {
        "variants": [f"Variant 2, body_html: {refused_tag(1, 'include')}"]
    }
    assert not Campaign.objects.exists()
    assert not Variant.objects.exists()


def test_editing_a_variant_to_load_a_library_is_refused():
    variant = campaign_with_variant()
    with pytest.raises(ValidationError) as raised:
        campaign_update(
            campaign_id=variant.campaign_id,
            fields={},
            variants=[{"name": "A", "subject": "{% load static %}Hi", "body_text": "Hi"}],
        )
    assert raised.value.message_dict == {
        "variants": [f"Variant 1, subject: {refused_tag(1, 'load')}"]
    }
    variant.refresh_from_db()
    assert variant.subject == "Hello {{ customer.first_name }}"


@pytest.mark.django_db
def test_only_plain_data_reaches_a_template():
    plain_data_check({"a": [1, "x", None, {"b": (True, 1.5)}]})
    with pytest.raises(TypeError, match=r"context.customer: Customer is not plain data"):
        plain_data_check({"customer": Customer(first_name="Ada")})
    with pytest.raises(TypeError, match=r"context.f: function is not plain data"):
        plain_data_check({"f": lambda: 1})
