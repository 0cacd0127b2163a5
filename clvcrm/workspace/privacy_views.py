"""The privacy requests' staff pages: download a customer's data, erase it (Admins)."""

import json

from django import forms
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from clvcrm.core.decorators import staff_required, staff_user
from clvcrm.workspace.privacy import customer_data_export, customer_erase
from customers.models import Customer


class EraseConfirmForm(forms.Form):
    """The erase cannot be undone: the staff member types the customer's id (the shop's,
    as the customer page and list show it) to confirm."""

    confirm_id = forms.CharField(max_length=64, label="Type the customer's id to confirm")

    def __init__(self, *args: object, external_id: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.external_id = external_id

    def clean_confirm_id(self) -> str:
        typed = self.cleaned_data["confirm_id"].strip()
        if typed != self.external_id:
            raise forms.ValidationError(
                f"This is not the customer's id: type {self.external_id} to erase this customer."
            )
        return typed


@staff_required("customers.view_customer", "customers.export_customer_data")
def customer_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Every table that mentions the customer, as a JSON file to download (recorded in the
    audit log as ``privacy.export``)."""
    try:
        data = customer_data_export(pk, actor=staff_user(request))
    except Customer.DoesNotExist:
        raise Http404("No such customer.") from None
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{pk}-data.json"'
    return response


@staff_required("customers.view_customer", "customers.erase_customer")
def customer_erase_page(request: HttpRequest, pk: int) -> HttpResponse:
    """What the erase does, and a form that erases on POST once the id is typed."""
    customer = get_object_or_404(Customer, pk=pk)
    form = EraseConfirmForm(request.POST or None, external_id=customer.external_id)
    if request.method == "POST" and form.is_valid():
        erased = customer_erase(customer_id=customer.pk, actor=staff_user(request))
        tables = sum(1 for count in erased.rows.values() if count)
        note = "It had been erased before; " if erased.already_erased else ""
        messages.success(
            request,
            f"Customer {customer.pk}'s personal data is erased. {note}"
            f"Rows changed in {tables} tables; their orders and figures are kept.",
        )
        return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "workspace/privacy_erase.html",
        {"customer": customer, "form": form},
        status=400 if form.is_bound else 200,
    )
