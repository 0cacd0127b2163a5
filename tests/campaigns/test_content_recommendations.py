"""Recommended products: customers who bought what you bought also bought."""

import pytest

from campaigns.content.recommendations import recommendations_of
from campaigns.models import ProductAffinity
from campaigns.services.recommendations import product_affinities_refresh

from .content_builders import customer_named, order_of, products

pytestmark = pytest.mark.django_db  # segments and tiers come from the migrations


def shop_history() -> dict:
    """Products A-F and the customers' orders (completed unless said otherwise).

    Pairs by distinct customers: A-B 2 (c1, c2), A-C 2 (c1, c3), A-D 3 (c2, c6, c7),
    A-E 2 (c8, c9), B-C 2 (c1, target_two); B-D and B-E 1 each (dropped).
    """
    p = products("A", "B", "C", "D", "E", "F")
    for basket in ["ABC", "ABD", "AC", "BE", "AD", "AD", "AE", "AE"]:
        customer = customer_named()
        order_of(customer, [p[basket[0]]], days_ago=10)
        order_of(customer, [p[sku] for sku in basket[1:]], days_ago=5)
    # B-E again, but refunded: only completed orders count.
    refunded = customer_named()
    order_of(refunded, [p["B"], p["E"]], status="refunded")
    target_one = customer_named("One")
    order_of(target_one, [p["A"]])
    order_of(target_one, [p["C"]], status="refunded")
    order_of(target_one, [p["F"]], status="cancelled")
    target_two = customer_named("Two")
    order_of(target_two, [p["B"], p["C"]])
    order_of(target_two, [p["B"]])  # bought twice: still one customer
    return {"products": p, "one": target_one, "two": target_two, "none": customer_named()}


def test_affinities_count_distinct_customers_of_completed_orders():
    shop_history()

    assert product_affinities_refresh() == 10

    pairs = {
        (a.product.sku, a.also_bought.sku, a.customers)
        for a in ProductAffinity.objects.select_related("product", "also_bought")
    }
    assert pairs == {
        ("A", "B", 2),
        ("B", "A", 2),
        ("A", "C", 2),
        ("C", "A", 2),
        ("A", "D", 3),
        ("D", "A", 3),
        ("A", "E", 2),
        ("E", "A", 2),
        ("B", "C", 2),
        ("C", "B", 2),
    }


def test_a_refresh_replaces_the_pairs():
    history = shop_history()
    product_affinities_refresh()
    ProductAffinity.objects.filter(product__sku="A").delete()
    p = history["products"]
    for _ in range(2):
        order_of(customer_named(), [p["E"], p["F"]])

    assert product_affinities_refresh() == 12
    assert ProductAffinity.objects.get(product=p["E"], also_bought=p["F"]).customers == 2
    assert ProductAffinity.objects.get(product=p["A"], also_bought=p["D"]).customers == 3


def test_the_best_three_not_yet_bought_for_each_customer_in_one_query(
    django_assert_num_queries,
):
    history = shop_history()
    product_affinities_refresh()
    one, two, none = history["one"], history["two"], history["none"]

    with django_assert_num_queries(1):
        recommended = recommendations_of([one.pk, two.pk, none.pk])

    # One bought A (and C, refunded, and F, cancelled: never recommended back): A votes D 3,
    # B 2, C 2, E 2; C is left out, B beats E on the lower id.
    # Two bought B and C: A gets 2 + 2 votes; C and B are theirs already.
    assert recommended == {
        one.pk: [
            {"sku": "D", "name": "Product D", "category": "Cat"},
            {"sku": "B", "name": "Product B", "category": "Cat"},
            {"sku": "E", "name": "Product E", "category": "Cat"},
        ],
        two.pk: [{"sku": "A", "name": "Product A", "category": "Cat"}],
    }


def test_nothing_to_recommend_before_the_first_refresh_or_for_nobody():
    history = shop_history()
    assert recommendations_of([history["one"].pk]) == {}
    assert recommendations_of([]) == {}
