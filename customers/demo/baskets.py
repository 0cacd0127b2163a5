"""Turn an order value drawn from the spend model into product lines.

The spend model says how much an order is worth; the basket says what was in it. Lines
are filled greedily towards that value from the anchor category and its affine
categories, so totals track the drawn values (Gamma-Gamma keeps its signal) while every
line is a real product at its list price: ``amount = quantity * unit_price`` exactly.
"""

import math
from dataclasses import dataclass

import numpy as np

from customers.demo.catalogue import (
    AFFINITIES,
    ANCHOR_WEIGHTS,
    CATEGORIES,
    PRODUCTS,
    CatalogueProduct,
    popularity,
)
from customers.demo.sampling import WeightedChoice

MAX_LINES = 4
VALUE_PER_EXTRA_LINE = 60.0
"""Mean order value (currency) that adds one more line: bigger orders have more lines."""
PRICE_SPREAD = 0.7
"""Log-price tolerance when picking a product for a line's budget (larger: less picky)."""
MIN_LINE_BUDGET = 3.0


@dataclass(frozen=True)
class _Category:
    products: tuple[int, ...]  # indices into PRODUCTS, best seller first
    log_prices: tuple[float, ...]
    popularity: tuple[float, ...]


class BasketBuilder:
    """Draws the anchor category of an order and fills its lines (reuse one per shop)."""

    def __init__(self) -> None:
        self.anchor_choice = WeightedChoice([ANCHOR_WEIGHTS[c] for c in CATEGORIES])
        self._addon_choice = [
            WeightedChoice([AFFINITIES[anchor].get(c, 0.0) for c in CATEGORIES])
            for anchor in CATEGORIES
        ]
        self._categories = [self._category(name) for name in CATEGORIES]

    @staticmethod
    def _category(name: str) -> _Category:
        members = [i for i, p in enumerate(PRODUCTS) if p.category == name]
        return _Category(
            products=tuple(members),
            log_prices=tuple(math.log(float(PRODUCTS[i].price)) for i in members),
            popularity=tuple(popularity(rank) for rank in range(len(members))),
        )

    def build(
        self, rng: np.random.Generator, value: float, anchor: int
    ) -> list[tuple[CatalogueProduct, int]]:
        """Lines ``(product, quantity)`` worth about ``value``; the first from ``anchor``.

        anchor: index into ``CATEGORIES``. Returns 1 to ``MAX_LINES`` lines, no product twice.
        """
        line_count = min(MAX_LINES, 1 + int(rng.poisson(value / VALUE_PER_EXTRA_LINE)))
        lines: list[tuple[CatalogueProduct, int]] = []
        chosen: set[int] = set()
        remaining = value
        for position in range(line_count):
            category = anchor if position == 0 else self._addon_choice[anchor].draw(rng)
            budget = max(remaining / (line_count - position), MIN_LINE_BUDGET)
            index = self._pick_product(rng, category, budget, chosen)
            if index is None:
                continue  # every product of that category is already in the basket
            product = PRODUCTS[index]
            price = float(product.price)
            quantity = min(max(round(budget / price), 1), product.max_quantity)
            lines.append((product, quantity))
            chosen.add(index)
            remaining -= price * quantity
        return lines

    def _pick_product(
        self, rng: np.random.Generator, category: int, budget: float, chosen: set[int]
    ) -> int | None:
        # Best sellers are likelier, and so are products priced near the line's budget:
        # a big spender's coffee line is the 1 kg bag, a small one's the 250 g bag.
        group = self._categories[category]
        log_budget = math.log(budget)
        weights = [
            0.0
            if index in chosen
            else weight * math.exp(-0.5 * ((log_price - log_budget) / PRICE_SPREAD) ** 2)
            for index, log_price, weight in zip(
                group.products, group.log_prices, group.popularity, strict=True
            )
        ]
        total = sum(weights)
        if total <= 0.0:
            return None
        threshold = rng.random() * total
        picked = None
        for index, weight in zip(group.products, weights, strict=True):
            if weight > 0.0:
                picked = index  # rounding can leave the threshold just above the last one
                threshold -= weight
                if threshold < 0.0:
                    break
        return picked
