"""What customers buy together: the table behind recommended products."""

from django.db import models


class ProductAffinity(models.Model):
    """How many customers who bought ``product`` also bought ``also_bought``.

    Rebuilt whole from completed orders' lines by
    :func:`campaigns.services.recommendations.product_affinities_refresh`; only the
    strongest pairs of each product are kept (see there), so the table stays a few rows per
    product whatever the number of orders.
    """

    id = models.BigAutoField(primary_key=True)
    # Indexed by the (product, also_bought) unique constraint, which serves the batch query.
    product = models.ForeignKey(
        "customers.Product", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    also_bought = models.ForeignKey("customers.Product", on_delete=models.CASCADE, related_name="+")
    customers = models.PositiveIntegerField(
        help_text="Distinct customers with a completed order of each of the two products."
    )

    class Meta:
        verbose_name_plural = "product affinities"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "also_bought"], name="product_affinity_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(product=models.F("also_bought")),
                name="product_affinity_two_products",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} → {self.also_bought_id} ({self.customers})"
