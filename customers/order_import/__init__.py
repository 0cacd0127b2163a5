"""The CSV order import: file checks, row validation, grouping into orders, batch writes.

The entry point is :func:`customers.services.orders_import`; the format is documented in
the README ("Importing orders").
"""
