"""The staff form of the customer page's loyalty card: redeem or adjust points."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from clvcrm.core.decorators import staff_required, staff_user
from customers.loyalty.forms import PointsChangeForm
from customers.loyalty.ledger import PointsError
from customers.models import Customer
from customers.services.loyalty import POINTS_CHANGES

PERMISSIONS = {"redeem": "customers.redeem_points", "adjust": "customers.adjust_points"}


@require_POST
@staff_required("customers.view_customer")
def points_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Redeem or adjust the customer's points; the outcome is shown on the customer page."""
    customer = get_object_or_404(Customer, pk=pk)
    form = PointsChangeForm(request.POST)
    action = request.POST.get("action", "")
    if action in PERMISSIONS and not request.user.has_perm(PERMISSIONS[action]):
        raise PermissionDenied
    back = reverse("customers:detail", args=[pk])  # the message shows at the top
    if not form.is_valid():
        messages.error(request, f"Points not changed. {form.describe_errors()}")
        return redirect(back)
    data = form.cleaned_data
    change = POINTS_CHANGES[data["action"]]
    try:
        entry = change(
            customer=customer,
            points=data["points"],
            reason=data["reason"],
            staff=staff_user(request),
        )
    except PointsError as exc:
        messages.error(request, f"Points not changed: {exc}.")
        return redirect(back)
    messages.success(request, f"{entry.get_kind_display()} {abs(entry.points):,} points.")
    return redirect(back)
