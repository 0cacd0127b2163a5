"""API permissions: staff users, and Django model permissions for each method."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions
from rest_framework.request import Request


def staff_request(request: Request) -> bool:
    """Whether the request comes from an authenticated, active staff user."""
    user = request.user
    return bool(user and user.is_authenticated and user.is_staff)


class StaffModelPermissions(DjangoModelPermissions):
    """Active staff users holding the model permission that matches the HTTP method.

    Unlike DRF's default, reading also needs the ``view`` permission, so the read-only
    Analyst role sees data and a user in no group sees none.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: Any) -> bool:
        return staff_request(request) and super().has_permission(request, view)


class IsStaff(BasePermission):
    """Any active staff user: the API's schema and documentation pages."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return staff_request(request)


class ReadsCustomers(StaffModelPermissions):
    """Staff who may view customers read (the CLV runs, as on the model page); any other
    method needs the model permission it needs everywhere, so that a role holding it (Admin)
    gets the view's 405 with ``Allow``, and one without it a 403, as on every endpoint."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method not in SAFE_METHODS:
            return super().has_permission(request, view)
        return staff_request(request) and request.user.has_perm("customers.view_customer")


class ImportsOrders(BasePermission):
    """Staff who may import orders, as on the upload page: sending orders to the API."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return staff_request(request) and request.user.has_perm("customers.import_orders")


class ChangesPoints(StaffModelPermissions):
    """A customer's points: reading needs the ledger's view permission; a POST needs the
    right to redeem or to adjust points (the view checks the one its action needs)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method != "POST":
            return super().has_permission(request, view)
        user = request.user
        return staff_request(request) and (
            user.has_perm("customers.redeem_points") or user.has_perm("customers.adjust_points")
        )
