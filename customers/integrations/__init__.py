"""Shop integrations: signed webhooks from Shopify and WooCommerce (issue 11).

A connector per platform (:mod:`.shopify`, :mod:`.woocommerce`) turns a delivery's order
JSON into the records of clvcrm's CSV format, with the status maps and keying rules of
the same platform's CSV export (``customers.order_import.formats``), so an order or a
customer that arrives by file and by webhook is the same row. The records go through the
one ingestion path, ``customers.services.order_imports.orders_import_records``.
:mod:`.signatures` checks a delivery's signature over its raw bytes before anything reads
them.
"""
