"""What several of the API's resources use: the cursor of their lists, the customer in
the address."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from clvcrm.core.api_pagination import CheckedCursorPagination


class ByIdCursor(CheckedCursorPagination):
    ordering = "-id"


# The customer an address names (``customers/{external_id}/...``), for the schema.
CUSTOMER_IN_PATH = OpenApiParameter(
    "external_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="Customer id."
)
