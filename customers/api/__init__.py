"""API v1 for customers and their orders (DRF: thin views, explicit output serializers).

The JSON shapes are a contract (README "API"): fields may be added, never renamed. Every
list is cursor-paginated, newest first; a customer's scores, segment, tier and points come
from the same query as the customer (no query per row).

One module per resource, imported by name (``customers/api_urls.py`` routes them; this
package re-exports nothing): ``customers``, ``orders`` (a customer's), ``points`` (a
customer's ledger), ``segments`` and ``clv_runs``; ``shared`` holds what several use.
"""
