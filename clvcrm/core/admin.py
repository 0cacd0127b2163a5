"""The user admin for the Admin role: staff management without a way up to superuser.

Also the API tokens: listed with their last use, revoked by an action (never edited or
deleted, the hash never shown; a token is made, and shown once, by ``create_api_token``).

The Admin role holds ``auth.change_user`` to create, edit, deactivate staff and give them
roles. Without these limits it could also tick ``is_superuser`` on its own account, grant
any permission directly, or reset a superuser's password and log in as them. The limits
hold on the server: read-only fields are not taken from a POST, a superuser's rows refuse
every change (the password form included), and only role groups are valid choices.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import ManyToManyField, QuerySet
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest

from clvcrm.core.admin_tools import ReadOnlyLargeTableAdmin
from clvcrm.core.api_tokens import api_tokens_revoke
from clvcrm.core.models import ApiToken, AuditEntry, TaskFailure
from clvcrm.core.roles import ROLES

# Only a superuser grants these: either would give any permission there is.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")


class StaffUserAdmin(UserAdmin):
    """Django's user admin, with what only a superuser may change kept to superusers."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return (*fields, *SUPERUSER_ONLY_FIELDS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Also guards the password form, which asks this before it saves anything.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_manytomany(
        self, db_field: ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField | None:
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=ROLES).order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    fields = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the token would have to be shown: manage.py create_api_token

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, never deleted: the record of its use stays

    @admin.action(description="Revoke the selected API tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = api_tokens_revoke(tokens=queryset)
        self.message_user(request, f"Revoked {revoked} API token(s).", messages.SUCCESS)


@admin.register(TaskFailure)
class TaskFailureAdmin(ReadOnlyLargeTableAdmin):
    """Failed tasks, as recorded: read-only (the operations page shows the latest)."""

    list_display = ("failed_at", "task_name", "exception")
    search_fields = ("task_name", "exception")
    date_hierarchy = "failed_at"
    fields = ("failed_at", "task_name", "task_id", "arguments", "exception", "traceback")
    readonly_fields = fields


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyLargeTableAdmin):
    """The audit log, read-only (Admins search it on the audit page too)."""

    list_display = ("at", "actor_name", "action", "target_label")
    search_fields = ("actor_name", "action", "target_label", "note")
    date_hierarchy = "at"
    fields = (
        "at",
        "actor_name",
        "actor_id",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "changes",
        "note",
    )
    readonly_fields = fields
