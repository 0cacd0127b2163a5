"""Admin of notes and tasks: read-only, since the staff pages write them through the
services (one place for their rules); the admin is for looking things up."""

from django.contrib import admin

from clvcrm.core.admin_tools import ReadOnlyLargeTableAdmin
from customers.models import CustomerNote, CustomerTask


@admin.register(CustomerTask)
class CustomerTaskAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["title", "customer", "source", "status", "due_on", "assignee", "created_at"]
    list_select_related = ["customer", "assignee"]
    list_filter = ["status", "source"]
    search_fields = ["=customer__external_id", "=source_key"]
    raw_id_fields = ["customer", "assignee", "created_by"]
    ordering = ["-id"]


@admin.register(CustomerNote)
class CustomerNoteAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["customer", "author", "task", "created_at"]
    list_select_related = ["customer", "author", "task"]
    search_fields = ["=customer__external_id"]
    raw_id_fields = ["customer", "task", "author"]
    ordering = ["-id"]
