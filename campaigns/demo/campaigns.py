"""The four retention campaigns of the demo shop, with two variants each."""

from typing import Any

GREETING = 'Hello {{ customer.first_name|default:"there" }},'
SIGNATURE = "{{ shop.name }}"
PRODUCTS_TEXT = (
    "{% if recommended_products %}Picked for you:\n"
    "{% for product in recommended_products %}- {{ product.name }}\n{% endfor %}{% endif %}"
)
PRODUCTS_HTML = (
    "{% if recommended_products %}<p>Picked for you:</p><ul>"
    "{% for product in recommended_products %}<li>{{ product.name }}</li>{% endfor %}"
    "</ul>{% endif %}"
)


def _variant(name: str, subject: str, lines: list[str], link: str) -> dict[str, Any]:
    text = "\n\n".join([GREETING, *lines, PRODUCTS_TEXT, link, SIGNATURE])
    html = "".join(
        [
            f"<p>{GREETING}</p>",
            *(f"<p>{line}</p>" for line in lines),
            PRODUCTS_HTML,
            f'<p><a href="{link}">Visit the shop</a></p>',
            f"<p>{SIGNATURE}</p>",
        ]
    )
    return {"name": name, "weight": 1, "subject": subject, "body_text": text, "body_html": html}


DEMO_CAMPAIGNS: list[dict[str, Any]] = [
    {
        "name": "Win-back: we miss you",
        "segment": "at_risk",
        "priority": 300,
        "offer_codes": "unique",
        "variants": [
            _variant(
                "Discount",
                "{{ customer.first_name|default:'Hi' }}, 15% off your next order",
                ["It has been a while. Here is 15% off: {{ offer_code }}."],
                "https://shop.example.com/?utm_campaign=win-back",
            ),
            _variant(
                "News",
                "New arrivals you have not seen yet",
                ["A lot has changed since your last visit. Your code: {{ offer_code }}."],
                "https://shop.example.com/new?utm_campaign=win-back",
            ),
        ],
    },
    {
        "name": "VIP early access",
        "segment": "high_value",
        "priority": 200,
        "variants": [
            _variant(
                "Early access",
                "Early access for our best customers",
                ["As one of our {{ clv_band|default:'valued' }} customers, you shop first."],
                "https://shop.example.com/early-access",
            ),
            _variant(
                "Thank you",
                "Thank you, {{ customer.first_name|default:'friend' }}",
                ["You have {{ points.balance }} points with us. Thank you for your loyalty."],
                "https://shop.example.com/early-access",
            ),
        ],
    },
    {
        "name": "Welcome",
        "segment": "new",
        "priority": 150,
        "variants": [
            _variant(
                "Welcome",
                "Welcome to {{ shop.name }}",
                ["Thank you for your first order."],
                "https://shop.example.com/welcome",
            ),
            _variant(
                "Guide",
                "Getting the most from {{ shop.name }}",
                ["Here is how our loyalty points work: every order earns points."],
                "https://shop.example.com/guide",
            ),
        ],
    },
    {
        "name": "Cross-sell",
        "segment": "low_value",
        "priority": 100,
        "variants": [
            _variant(
                "Recommendations",
                "You might like these",
                ["Customers who bought what you bought also bought these."],
                "https://shop.example.com/recommended",
            ),
            _variant(
                "Bundle",
                "Complete your collection",
                ["Add one of these to your next order."],
                "https://shop.example.com/bundles",
            ),
        ],
    },
]
