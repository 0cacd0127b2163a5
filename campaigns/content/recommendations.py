"""Recommended products of a batch of customers, in one query.

"Customers who bought what you bought also bought": each product a customer bought in a
completed order votes for the products bought with it (:class:`ProductAffinity`, rebuilt by
:func:`campaigns.services.recommendations.product_affinities_refresh`) with its number of
customers; the products with most votes win, ties by lower product id. Anything the
customer already ordered (whatever became of the order) is left out.
"""

from collections.abc import Sequence
from typing import TypedDict

from django.db import connection

from campaigns.models import ProductAffinity
from customers.models import Order, OrderLine, Product

RECOMMENDED_PRODUCTS = 3


class RecommendedProduct(TypedDict):
    sku: str
    name: str
    category: str


def recommendations_of(customer_ids: Sequence[int]) -> dict[int, list[RecommendedProduct]]:
    """At most :data:`RECOMMENDED_PRODUCTS` products per customer, best first (one query).

    Customers with no recommendation are absent.
    """
    if not customer_ids:
        return {}
    ids = sorted(set(customer_ids))
    placeholders = ", ".join(["%s"] * len(ids))
    statement = f"""
        WITH owned AS (
            SELECT DISTINCT o.customer_id, l.product_id, o.status
            FROM {OrderLine._meta.db_table} l
            JOIN {Order._meta.db_table} o ON o.id = l.order_id
            WHERE o.customer_id IN ({placeholders})
        ), scored AS (
            SELECT w.customer_id, a.also_bought_id AS product_id, SUM(a.customers) AS score
            FROM (SELECT DISTINCT customer_id, product_id FROM owned WHERE status = %s) w
            JOIN {ProductAffinity._meta.db_table} a ON a.product_id = w.product_id
            WHERE NOT EXISTS (
                SELECT 1 FROM owned x
                WHERE x.customer_id = w.customer_id AND x.product_id = a.also_bought_id
            )
            GROUP BY w.customer_id, a.also_bought_id
        )
        SELECT r.customer_id, p.sku, p.name, p.category FROM (
            SELECT customer_id, product_id,
                   ROW_NUMBER() OVER (
                       PARTITION BY customer_id ORDER BY score DESC, product_id
                   ) AS position
            FROM scored
        ) r
        JOIN {Product._meta.db_table} p ON p.id = r.product_id
        WHERE r.position <= %s
        ORDER BY r.customer_id, r.position
    """
    recommended: dict[int, list[RecommendedProduct]] = {}
    with connection.cursor() as cursor:
        cursor.execute(statement, [*ids, Order.Status.COMPLETED.value, RECOMMENDED_PRODUCTS])
        for customer_id, sku, name, category in cursor.fetchall():
            recommended.setdefault(customer_id, []).append(
                {"sku": sku, "name": name, "category": category}
            )
    return recommended
