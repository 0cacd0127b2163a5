"""Staff pages of marketing: CAC per channel for a period, the spend grid of a year, and the
spend CSV import. Marketing and Admin enter spend; Analysts and Support see it."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from clvcrm.core.decorators import staff_required, staff_user
from clvcrm.core.uploads import UploadSizeLimit
from customers.marketing.forms import (
    PeriodForm,
    SpendGridForm,
    SpendImportForm,
    YearForm,
    cell_name,
    period_presets,
)
from customers.marketing.selectors import acquisition_costs, spend_of_year
from customers.marketing.spend_csv import SpendFileError
from customers.models import AcquisitionChannel
from customers.services.marketing import marketing_spend_import, marketing_spend_save

SPEND_WRITE = (
    "customers.add_marketingspend",
    "customers.change_marketingspend",
    "customers.delete_marketingspend",
)
DEFAULT_PERIOD = "Last 12 months"


@staff_required("customers.view_marketingspend", "customers.view_customer")
def marketing_overview(request: HttpRequest) -> HttpResponse:
    """CAC, CLV:CAC and payback per acquisition channel for the chosen period."""
    presets = period_presets(timezone.localdate())
    start, end = presets[DEFAULT_PERIOD]
    chosen = {"start": start.isoformat(), "end": end.isoformat()}
    form = PeriodForm(request.GET if "start" in request.GET or "end" in request.GET else chosen)
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    context = {
        "form": form,
        "costs": acquisition_costs(start, end),
        "presets": [(label, s.isoformat(), e.isoformat()) for label, (s, e) in presets.items()],
        "can_change": request.user.has_perms(SPEND_WRITE),
    }
    return render(request, "customers/marketing.html", context)


@staff_required("customers.view_marketingspend")
def spend_grid(request: HttpRequest) -> HttpResponse:
    """A year of spend, months by channels; Marketing and Admin change it in place."""
    this_year = timezone.localdate().year
    year_form = YearForm({"year": request.GET.get("year", str(this_year))})
    year = year_form.cleaned_data["year"] if year_form.is_valid() else this_year
    can_change = request.user.has_perms(SPEND_WRITE)
    if request.method == "POST" and not can_change:
        raise PermissionDenied
    channels = list(AcquisitionChannel.objects.order_by("name"))
    stored = spend_of_year(year)
    data = request.POST if request.method == "POST" else None
    form = SpendGridForm(data, year=year, channels=channels, stored=stored)
    if data is not None and form.is_valid():
        entries, removed = form.changes()
        written = marketing_spend_save(entries=entries, removed=removed, user=staff_user(request))
        messages.success(
            request,
            f"Saved the spend of {year}: {written.created} new, {written.updated} changed, "
            f"{written.removed} cleared.",
        )
        return redirect(f"{reverse('customers:marketing_spend')}?year={year}")
    context = {
        "year": year,
        "year_form": year_form,
        "form": form,
        "channels": channels,
        "rows": _grid_rows(form, stored),
        "totals": _column_totals(channels, stored),
        "year_total": sum(stored.values(), Decimal(0)),
        "can_change": can_change,
    }
    return render(request, "customers/marketing_spend.html", context)


def _grid_rows(
    form: SpendGridForm, stored: dict[tuple[date, int], Decimal]
) -> list[dict[str, Any]]:
    """Per month: each channel's field and saved amount, and the month's saved total."""
    rows = []
    for month in form.months:
        amounts = [stored.get((month, c.pk)) for c in form.channels]
        fields = [form[cell_name(month, c.pk)] for c in form.channels]
        known = [amount for amount in amounts if amount is not None]
        cells = [{"field": f, "amount": a} for f, a in zip(fields, amounts, strict=True)]
        total = sum(known, Decimal(0)) if known else None
        rows.append({"month": month, "cells": cells, "total": total})
    return rows


def _column_totals(
    channels: list[AcquisitionChannel], stored: dict[tuple[date, int], Decimal]
) -> list[Decimal | None]:
    totals: list[Decimal | None] = []
    for channel in channels:
        amounts = [amount for (_, pk), amount in stored.items() if pk == channel.pk]
        totals.append(sum(amounts, Decimal(0)) if amounts else None)
    return totals


# The size limit must be in place before anything reads the request's body, the CSRF check
# included; so the check runs after it (as on the order upload page).
@csrf_exempt
@staff_required("customers.view_marketingspend", *SPEND_WRITE)
def spend_import(request: HttpRequest) -> HttpResponse:
    limit = UploadSizeLimit(request, settings.MARKETING_SPEND_MAX_UPLOAD_BYTES)
    request.upload_handlers.insert(0, limit)
    return _spend_import(request, limit)


@csrf_protect
def _spend_import(request: HttpRequest, limit: UploadSizeLimit) -> HttpResponse:
    """Upload a ``month, channel, amount`` CSV; the report shows on the same page."""
    posted = request.method == "POST"  # bound even when the only field, the file, was dropped
    form = SpendImportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        refused_upload=bool(limit.refused),
    )
    context: dict[str, Any] = {
        "form": form,
        "max_upload_bytes": settings.MARKETING_SPEND_MAX_UPLOAD_BYTES,
        "channels": AcquisitionChannel.objects.order_by("name").values_list("name", flat=True),
    }
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            read, written = marketing_spend_import(content=upload.read(), user=staff_user(request))
        except SpendFileError as exc:
            form.add_error("file", f"Nothing imported: {exc}.")
        else:
            context.update(file_name=upload.name, read=read, written=written)
    return render(request, "customers/marketing_spend_import.html", context)
