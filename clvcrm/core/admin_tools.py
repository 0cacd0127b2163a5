"""Admin helpers for tables with millions of rows."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from clvcrm.core.pagination import COUNT_CAP


class CappedCountPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` rows, so a changelist of ten million orders stays fast.

    The last pages beyond the cap are reachable through search and filters instead.
    """

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[:COUNT_CAP].count()
