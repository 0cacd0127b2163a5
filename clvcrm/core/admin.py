"""The user admin for the Admin role: staff management without a way up to superuser.

The Admin role holds ``auth.change_user`` to create, edit, deactivate staff and give them
roles. Without these limits it could also tick ``is_superuser`` on its own account, grant
any permission directly, or reset a superuser's password and log in as them. The limits
hold on the server: read-only fields are not taken from a POST, a superuser's rows refuse
every change (the password form included), and only role groups are valid choices.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import ManyToManyField
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest

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
