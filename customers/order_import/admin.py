"""The admin of order imports, the rows they rejected or warned about, and the column
mappings remembered for files of other layouts."""

from django.contrib import admin

from clvcrm.core.admin_tools import LargeTableAdmin
from customers.models import ColumnMapping, ImportRejection, OrderImport


@admin.register(OrderImport)
class OrderImportAdmin(admin.ModelAdmin):
    list_display = [
        "file_name",
        "status",
        "dry_run",
        "created_by",
        "created_at",
        "rows_total",
        "rows_rejected",
        "orders_created",
        "orders_unchanged",
    ]
    list_filter = ["status", "dry_run"]
    search_fields = ["file_name"]
    readonly_fields = [f.name for f in OrderImport._meta.fields]


@admin.register(ImportRejection)
class ImportRejectionAdmin(LargeTableAdmin):
    list_display = ["order_import", "row", "order_id", "column", "value", "reason"]
    list_filter = ["column"]
    search_fields = ["=order_id"]
    raw_id_fields = ["order_import"]


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    """Remembered mappings can be looked at and deleted (the next such file asks again)."""

    list_display = ["__str__", "updated_by", "updated_at"]
    readonly_fields = ["header_key", "header", "updated_by", "updated_at"]
