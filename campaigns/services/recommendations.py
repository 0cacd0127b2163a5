"""Rebuild the product pairs behind recommended products ("customers who bought what you
bought also bought")."""

from django.db import connection, transaction

from campaigns.models import ProductAffinity
from customers.models import Order, OrderLine

# A customer's pairs come from their most recently bought distinct products only: the pairs
# of one customer grow with the square of their products, and a reseller who bought 2,000
# of them would add four million pairs on their own and outweigh everyone else.
PRODUCTS_PER_CUSTOMER = 20
# The strongest pairs kept per product: the batch query sums these over a customer's
# products, so more would only add candidates that never reach the top three.
PAIRS_PER_PRODUCT = 20
# A pair bought by one customer is an anecdote, not an affinity.
MIN_CUSTOMERS = 2


def product_affinities_refresh() -> int:
    """Rebuild :class:`~campaigns.models.ProductAffinity` from completed orders; return its
    number of rows.

    Set-based, in one transaction (readers see the old pairs until it commits): the
    distinct products of each customer's completed orders (their
    :data:`PRODUCTS_PER_CUSTOMER` most recent), joined with themselves by customer, give
    for every ordered pair of products the number of distinct customers who bought both;
    pairs of fewer than :data:`MIN_CUSTOMERS` customers are dropped and each product keeps
    its :data:`PAIRS_PER_PRODUCT` strongest (ties: lower product id first). The pipeline
    runs it after each segment reassignment (nightly, after the CLV run).
    """
    affinity = ProductAffinity._meta.db_table
    statement = f"""
        INSERT INTO {affinity} (product_id, also_bought_id, customers)
        WITH bought AS (
            SELECT customer_id, product_id FROM (
                SELECT o.customer_id, l.product_id,
                       ROW_NUMBER() OVER (
                           PARTITION BY o.customer_id
                           ORDER BY MAX(o.placed_at) DESC, l.product_id
                       ) AS recency
                FROM {OrderLine._meta.db_table} l
                JOIN {Order._meta.db_table} o ON o.id = l.order_id
                WHERE o.status = %s
                GROUP BY o.customer_id, l.product_id
            ) recent
            WHERE recency <= %s
        ), pairs AS (
            SELECT a.product_id, b.product_id AS also_bought_id, COUNT(*) AS customers
            FROM bought a
            JOIN bought b ON b.customer_id = a.customer_id AND b.product_id <> a.product_id
            GROUP BY a.product_id, b.product_id
            HAVING COUNT(*) >= %s
        )
        SELECT product_id, also_bought_id, customers FROM (
            SELECT product_id, also_bought_id, customers,
                   ROW_NUMBER() OVER (
                       PARTITION BY product_id ORDER BY customers DESC, also_bought_id
                   ) AS strength
            FROM pairs
        ) ranked
        WHERE strength <= %s
    """
    params: list[str | int] = [Order.Status.COMPLETED.value, PRODUCTS_PER_CUSTOMER, MIN_CUSTOMERS]
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {affinity}")
        cursor.execute(statement, [*params, PAIRS_PER_PRODUCT])
        return int(cursor.rowcount)
