"""The customer's profile page: staff who may change customers correct their details.

Saved through :func:`customers.services.customers.customer_update` with the staff member as
the actor, so every change is in the audit log (personal fields as changed, without their
values). An erased customer's profile is not edited: the page says why and a POST is
refused with 409, nothing written.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from clvcrm.core.decorators import staff_required, staff_user
from customers.models import Customer
from customers.record.forms import CustomerProfileForm
from customers.services.customers import CustomerConflictError, customer_update


@staff_required("customers.view_customer", "customers.change_customer")
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    if customer.is_erased:
        status = 409 if request.method == "POST" else 200
        return render(
            request, "customers/customer_edit.html", {"customer": customer}, status=status
        )
    form = CustomerProfileForm(
        request.POST if request.method == "POST" else None, customer=customer
    )
    if form.is_bound and form.is_valid():
        details = form.changed_details()
        if not details:
            messages.info(request, "Nothing changed.")
            return redirect("customers:detail", pk=pk)
        try:
            customer_update(customer=customer, actor=staff_user(request), **details)
        except CustomerConflictError as exc:
            customer.refresh_from_db()  # the service set the refused values on it
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            saved = ", ".join(str(form.fields[name].label).lower() for name in details)
            messages.success(request, f"Profile saved: {saved}.")
            return redirect("customers:detail", pk=pk)
    return render(request, "customers/customer_edit.html", {"customer": customer, "form": form})
