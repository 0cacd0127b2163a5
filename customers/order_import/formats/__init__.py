"""Shop platforms' order exports the import reads as they are (README, "Importing orders").

:func:`recognise` picks a format from a file's header; a header that names clvcrm's own
required columns is clvcrm's format, whatever else it names.
"""

from customers.order_import.formats.base import ExportFormat
from customers.order_import.formats.mapped import MAPPED_KEY, MAPPED_LABEL, remembered
from customers.order_import.formats.shopify import SHOPIFY
from customers.order_import.formats.woocommerce import WOOCOMMERCE

FORMATS = (SHOPIFY, WOOCOMMERCE)
SHOPIFY_KEY = SHOPIFY.key
WOOCOMMERCE_KEY = WOOCOMMERCE.key
CLVCRM_LABEL = "clvcrm CSV"


def recognise(names: list[str]) -> ExportFormat | None:
    """The shop export whose columns the header ``names`` (normalised) has, if any (a
    column mapping remembered for the header: :func:`remembered`)."""
    return next((f for f in FORMATS if f.recognises(names)), None)


def label_of(key: str) -> str:
    """The name of a format by its key (``""``: clvcrm's own)."""
    if key == MAPPED_KEY:
        return MAPPED_LABEL
    return next((f.label for f in FORMATS if f.key == key), CLVCRM_LABEL)


__all__ = [
    "CLVCRM_LABEL",
    "FORMATS",
    "MAPPED_KEY",
    "SHOPIFY_KEY",
    "WOOCOMMERCE_KEY",
    "ExportFormat",
    "label_of",
    "recognise",
    "remembered",
]
