"""Staff pages: preview a variant for a chosen customer, and mail it to oneself as a test."""

from smtplib import SMTPException
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from campaigns.content.render import RenderedEmail
from campaigns.models import Variant
from campaigns.services import previews
from clvcrm.core.decorators import staff_required, staff_user
from clvcrm.core.input_values import InputValueError, integer_from_text
from customers.models import Customer


@require_GET
@staff_required("campaigns.view_campaign")
def variant_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The variant rendered for the customer named by ``?customer=`` (an id or an email)."""
    variant = get_object_or_404(Variant.objects.select_related("campaign"), pk=pk)
    query = request.GET.get("customer", "").strip()
    customer = customer_find(query)
    rendered: RenderedEmail | None = None
    error = ""
    if query and customer is None:
        error = f"No customer has the id or email “{query}”."
    elif customer is not None:
        rendered = previews.variant_preview(variant_id=variant.pk, customer_id=customer.pk)
    context = {
        "variant": variant,
        "campaign": variant.campaign,
        "query": query,
        "customer": customer,
        "rendered": rendered,
        "error": error,
        "can_send_test": request.user.has_perm("campaigns.change_campaign"),
    }
    return render(request, "campaigns/variant_preview.html", context)


@require_POST
@staff_required("campaigns.change_campaign")
def variant_test_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Mail the preview for the chosen customer to the signed-in staff member."""
    variant = get_object_or_404(Variant, pk=pk)
    query = request.POST.get("customer", "").strip()
    back = reverse("campaigns:variant-preview", args=[variant.pk])
    if query:
        back += "?" + urlencode({"customer": query})
    user = staff_user(request)
    customer = customer_find(query)
    if not user.email:
        messages.error(request, "No test sent: your account has no email address.")
    elif customer is None:
        messages.error(request, "No test sent: choose a customer to render the email for.")
    else:
        try:
            previews.variant_test_send(
                variant_id=variant.pk, customer_id=customer.pk, to_email=user.email
            )
        except (SMTPException, OSError) as exc:
            messages.error(request, f"The test could not be sent: {exc}")
        else:
            messages.success(request, f"Test sent to {user.email}.")
    return redirect(back)


def customer_find(query: str) -> Customer | None:
    """The customer whose id or email (any case) is ``query``; None if none or empty."""
    if not query:
        return None
    try:  # ASCII digits within a primary key's range; "²" or 10,000 digits are no id
        pk = integer_from_text(query, minimum=1)
    except InputValueError:
        return Customer.objects.filter(email__iexact=query).exclude(email="").first()
    return Customer.objects.filter(pk=pk).first()
