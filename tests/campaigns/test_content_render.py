"""Rendering a variant with a real customer's context: exact output, and escaping."""

from datetime import date

import pytest

from campaigns.content.render import Recipient, RenderedEmail, contexts_build, email_render
from campaigns.services.recommendations import product_affinities_refresh
from customers.models import ClvRun, LoyaltyTier
from tests.factories import order_with_coffee, score_and_place

from .content_builders import campaign_with_variant, customer_named, order_of, products

pytestmark = pytest.mark.django_db  # segments and tiers come from the migrations

SUBJECT = "{{ customer.first_name }}, your {{ tier }}   perks\nat {{ shop.name }}"
TEXT = """Hello {{ customer.full_name }},
You have {{ points.balance }} point{{ points.balance|pluralize }}.
{% for product in recommended_products %}- {{ product.name }}
{% empty %}Nothing to recommend.
{% endfor %}Use {{ offer_code|default:"no code" }}. Band: {{ clv_band }}; {{ segment.name }}."""
HTML = "<p>Hello {{ customer.first_name|upper }} &amp; welcome to {{ shop.name }}</p>"


@pytest.fixture(autouse=True)
def _shop_name(settings) -> None:
    settings.SHOP_NAME = "Bean & Leaf"


def test_a_variant_renders_exactly_for_a_real_customer():
    variant = campaign_with_variant(
        subject=SUBJECT,
        body_text=TEXT,
        body_html=HTML,
        offer_codes="shared",
        offer_code="WELCOME10",
    )
    ada = customer_named("Ada", "Lovelace", "ada@example.com")
    order_with_coffee(ada)
    run = ClvRun.objects.create(as_of=date(2025, 6, 1), status=ClvRun.Status.SUCCEEDED)
    gold = LoyaltyTier.objects.create(name="Gold", rank=1, min_orders=1)
    score_and_place(ada, run, clv="912.40", p_alive=0.9, tier=gold, points=1)
    tea = products("TEA")["TEA"]
    for number in (1, 2):  # two customers bought the house blend and tea
        other = customer_named(f"Other {number}")
        order_with_coffee(other, external_id=f"O-other-{number}")
        order_of(other, [tea])
    product_affinities_refresh()

    contexts = contexts_build(campaign=variant.campaign, recipients=[Recipient(7, ada.pk)])

    assert email_render(variant=variant, context=contexts[7]) == RenderedEmail(
        subject="Ada, your Gold perks at Bean & Leaf",
        text="Hello Ada Lovelace,\nYou have 1 point.\n- Product TEA\n"
        "Use WELCOME10. Band: top 10%; At risk.",
        html="<p>Hello ADA &amp; welcome to Bean &amp; Leaf</p>",
    )


def test_html_is_escaped_and_the_subject_and_text_are_not():
    variant = campaign_with_variant(
        subject="{{ customer.first_name }}",
        body_text="{{ customer.first_name }} {{ customer.email }}",
        body_html='<a title="{{ customer.first_name }}">{{ customer.last_name }}</a>',
    )
    mallory = customer_named('Bob"><script>', "<b>O'Neil & Co</b>", "bob@example.com")
    contexts = contexts_build(campaign=variant.campaign, recipients=[Recipient(1, mallory.pk)])

    rendered = email_render(variant=variant, context=contexts[1])

    assert rendered == RenderedEmail(
        subject='Bob"><script>',
        text='Bob"><script> bob@example.com',
        html='<a title="Bob&quot;&gt;&lt;script&gt;">&lt;b&gt;O&#x27;Neil &amp; Co&lt;/b&gt;</a>',
    )


def test_a_recipient_whose_customer_is_gone_gets_no_context():
    variant = campaign_with_variant()
    ada = customer_named("Ada")
    contexts = contexts_build(
        campaign=variant.campaign, recipients=[Recipient(1, ada.pk), Recipient(2, ada.pk + 99)]
    )
    assert list(contexts) == [1]


def test_a_variant_without_html_renders_no_html():
    variant = campaign_with_variant(subject="Hi", body_text="Text only")
    assert email_render(variant=variant, context={}) == RenderedEmail("Hi", "Text only", "")


def test_a_template_cannot_change_the_context_it_is_given():
    variant = campaign_with_variant(
        subject="{{ shop.clear }}{{ shop.popitem }}{{ recommended_products.pop }}x",
        body_text="{{ shop.name }} {{ recommended_products|length }} "
        "{{ customer.first_name.upper }}",
    )
    context = {
        "shop": {"name": "Bean"},
        "recommended_products": [{"sku": "A", "name": "A", "category": ""}],
        "customer": {"first_name": "ada"},
    }

    assert email_render(variant=variant, context=context) == RenderedEmail("x", "Bean 1 ADA", "")
    assert context["shop"] == {"name": "Bean"}
    assert len(context["recommended_products"]) == 1
