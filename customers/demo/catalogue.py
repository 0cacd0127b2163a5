"""The demo shop's catalogue: a specialty coffee and tea shop with gifts on the side.

Categories carry the cross-selling signal: which category an order starts from
(``ANCHOR_WEIGHTS``) and which categories its other lines come from (``AFFINITIES``), so
"customers who buy coffee also buy brewing gear" is in the data for the recommender to find.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class CatalogueProduct:
    """A product with its list price (shop currency) and the most units one order takes."""

    sku: str
    name: str
    category: str
    price: Decimal
    max_quantity: int


Item = tuple[str, str] | tuple[str, str, int]
"""(name, price) or (name, price, max_quantity) when it differs from the category's."""


def _products(
    category: str, prefix: str, max_quantity: int, items: tuple[Item, ...]
) -> tuple[CatalogueProduct, ...]:
    return tuple(
        CatalogueProduct(
            f"{prefix}-{n:03d}",
            item[0],
            category,
            Decimal(item[1]),
            item[2] if len(item) == 3 else max_quantity,
        )
        for n, item in enumerate(items, start=1)
    )


# Within a category, products are listed from the best seller down (see ``popularity``).
PRODUCTS: tuple[CatalogueProduct, ...] = (
    *_products(
        "Coffee",
        "COF",
        4,
        (
            ("House Blend Coffee Beans 250 g", "9.50"),
            ("Colombia Huila Single Origin 250 g", "12.90"),
            ("Espresso Roast 1 kg", "32.00"),
            ("Ethiopia Yirgacheffe 250 g", "13.90"),
            ("Brazil Santos 250 g", "10.90"),
            ("Decaf Swiss Water 250 g", "11.90"),
            ("Guatemala Antigua 250 g", "12.50"),
            ("Compostable Coffee Pods (30)", "12.50"),
            ("Kenya AA 250 g", "14.50"),
            ("Cold Brew Blend 500 g", "17.50"),
            ("Sumatra Mandheling 250 g", "13.50"),
            ("Roaster's Choice Box (3 × 250 g)", "36.00"),
        ),
    ),
    *_products(
        "Tea",
        "TEA",
        4,
        (
            ("English Breakfast Loose Leaf 100 g", "7.50"),
            ("Earl Grey Loose Leaf 100 g", "8.20"),
            ("Sencha Green Tea 100 g", "9.90"),
            ("Chamomile Herbal 50 g", "6.50"),
            ("Matcha Ceremonial Grade 30 g", "24.00"),
            ("Rooibos Vanilla 100 g", "7.20"),
            ("Jasmine Pearls 50 g", "12.50"),
            ("Assam Second Flush 100 g", "8.90"),
            ("Darjeeling First Flush 100 g", "14.90"),
            ("Oolong Tie Guan Yin 50 g", "13.20"),
        ),
    ),
    # Gear and teaware last for years: one of each per order.
    *_products(
        "Brewing gear",
        "BRW",
        1,
        (
            ("Pour-Over Dripper", "18.00"),
            ("French Press 1 l", "34.00"),
            ("Manual Burr Grinder", "59.00"),
            ("Digital Coffee Scale", "39.00"),
            ("Gooseneck Kettle", "65.00"),
            ("Stovetop Espresso Maker 6-Cup", "38.00"),
            ("Immersion Coffee Press", "42.00"),
            ("Electric Burr Grinder", "149.00"),
            ("Cold Brew Bottle 1 l", "29.00"),
            # The consumable of the gear category: bought several packs at a time.
            ("Paper Filters (100)", "5.50", 3),
        ),
    ),
    *_products(
        "Teaware",
        "TWR",
        1,
        (
            ("Stainless Tea Infuser", "8.50"),
            ("Glass Teapot 1 l", "32.00"),
            ("Matcha Whisk Set", "27.00"),
            ("Tea Tins (set of 3)", "16.00"),
            ("Cast Iron Teapot", "58.00"),
            ("Porcelain Gaiwan", "22.00"),
        ),
    ),
    *_products(
        "Mugs",
        "MUG",
        4,
        (
            ("Classic Stoneware Mug", "12.00"),
            ("Insulated Travel Mug", "26.00"),
            ("Handmade Ceramic Mug", "22.00"),
            ("Double-Walled Glass Cups (2)", "19.00"),
            ("Espresso Cups (set of 4)", "24.00"),
            ("Enamel Camping Mug", "14.00"),
            ("Latte Bowl", "16.00"),
        ),
    ),
    *_products(
        "Chocolate",
        "CHO",
        6,
        (
            ("Dark Chocolate 70% 100 g", "4.90"),
            ("Milk Chocolate Sea Salt 100 g", "4.50"),
            ("Hot Chocolate Flakes 250 g", "9.90"),
            ("Chocolate-Coated Coffee Beans 150 g", "7.50"),
            ("Single Origin Dark 85% 80 g", "6.20"),
            ("Hazelnut Pralines (12)", "14.90"),
            ("Truffle Gift Box (24)", "29.00"),
        ),
    ),
    *_products(
        "Biscuits",
        "BIS",
        4,
        (
            ("Almond Biscotti 200 g", "5.90"),
            ("Butter Shortbread 250 g", "6.50"),
            ("Speculoos Biscuits 250 g", "4.80"),
            ("Oat & Ginger Cookies 200 g", "5.20"),
            ("Florentines 150 g", "7.90"),
        ),
    ),
    *_products(
        "Gift cards",
        "GFT",
        2,
        (
            ("Gift Card 25", "25.00"),
            ("Gift Card 50", "50.00"),
            ("Gift Card 100", "100.00"),
            ("Gift Card 75", "75.00"),
        ),
    ),
)

CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(p.category for p in PRODUCTS))

# How often an order starts from each category (its first, "anchor" line).
ANCHOR_WEIGHTS: dict[str, float] = {
    "Coffee": 0.40,
    "Tea": 0.22,
    "Brewing gear": 0.08,
    "Teaware": 0.03,
    "Mugs": 0.06,
    "Chocolate": 0.11,
    "Biscuits": 0.04,
    "Gift cards": 0.06,
}

# Where the other lines of an order come from, given its anchor category: coffee buyers add
# brewing gear, tea buyers add mugs and teaware, chocolate goes with biscuits.
AFFINITIES: dict[str, dict[str, float]] = {
    "Coffee": {
        "Coffee": 0.32,
        "Brewing gear": 0.28,
        "Mugs": 0.12,
        "Chocolate": 0.12,
        "Biscuits": 0.10,
        "Tea": 0.04,
        "Gift cards": 0.02,
    },
    "Tea": {
        "Tea": 0.34,
        "Teaware": 0.22,
        "Mugs": 0.18,
        "Biscuits": 0.14,
        "Chocolate": 0.08,
        "Coffee": 0.04,
    },
    "Brewing gear": {
        "Coffee": 0.55,
        "Brewing gear": 0.25,
        "Mugs": 0.12,
        "Chocolate": 0.04,
        "Biscuits": 0.04,
    },
    "Teaware": {"Tea": 0.60, "Teaware": 0.20, "Mugs": 0.15, "Biscuits": 0.05},
    "Mugs": {"Coffee": 0.30, "Tea": 0.25, "Mugs": 0.25, "Chocolate": 0.12, "Biscuits": 0.08},
    "Chocolate": {
        "Chocolate": 0.40,
        "Biscuits": 0.22,
        "Mugs": 0.15,
        "Coffee": 0.13,
        "Tea": 0.10,
    },
    "Biscuits": {"Tea": 0.30, "Coffee": 0.25, "Biscuits": 0.25, "Chocolate": 0.20},
    "Gift cards": {"Gift cards": 0.40, "Chocolate": 0.35, "Mugs": 0.25},
}


def popularity(rank: int) -> float:
    """Relative sales weight of a category's ``rank``-th best seller (0 = best): Zipf-like."""
    return 1.0 / (rank + 1) ** 0.8
