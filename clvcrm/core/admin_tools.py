"""Admin helpers: tables with millions of rows, numbers checked like every outside value."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest
from django.utils.functional import cached_property

from clvcrm.core.form_fields import column_number_formfield
from clvcrm.core.pagination import COUNT_CAP


class CappedCountPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` rows, so a changelist of ten million orders stays fast.

    The last pages beyond the cap are reachable through search and filters instead.
    """

    object_list: models.QuerySet  # a changelist pages a queryset

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[:COUNT_CAP].count()


class LargeTableAdmin(admin.ModelAdmin):
    """A changelist for a table of millions of rows: capped count, no full-table count."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 50


class ReadOnlyLargeTableAdmin(LargeTableAdmin):
    """Rows only the application writes (ledgers, assignments, outboxes): viewable, never
    typed in, edited or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CheckedNumbersAdmin(admin.ModelAdmin):
    """Numbers typed in this admin are read by ``clvcrm.core.input_values``: ASCII only,
    within what the model field holds (its column and its validators)."""

    def formfield_for_dbfield(
        self, db_field: models.Field, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if db_field.editable and not db_field.choices and not db_field.primary_key:
            checked = column_number_formfield(db_field)
            if checked is not None:
                return checked
        return super().formfield_for_dbfield(db_field, request, **kwargs)
