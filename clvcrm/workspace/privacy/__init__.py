"""Privacy requests: export everything stored about a customer, erase their personal data.

- ``tables``: which tables mention a customer (found by key from the models; by text,
  listed).
- ``export``: :func:`customer_data_export`, every such table's rows as JSON.
- ``erase``: :func:`customer_erase`, personal data gone, orders and figures kept, nothing
  sent again; what happens to each table is decided there by name.
"""

from clvcrm.workspace.privacy.erase import Erased, customer_erase
from clvcrm.workspace.privacy.export import customer_data_export

__all__ = ["Erased", "customer_data_export", "customer_erase"]
