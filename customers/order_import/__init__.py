"""The CSV order import: file checks, row validation, grouping into orders, batch writes.

``importer`` runs an import (the services ``orders_import`` and ``orders_import_records``
call it); the format is documented in the README ("Importing orders").
"""
