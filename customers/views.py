"""Staff pages of the customers app: plain function views."""

import csv
from collections.abc import Iterator

from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from clvcrm.core.decorators import staff_required
from clvcrm.core.pagination import keyset_page
from customers import selectors, services
from customers.forms import CustomerFilterForm, OrderImportForm
from customers.models import Customer, ImportRejection, OrderImport
from customers.order_import.errors import Rejection


@staff_required("customers.view_customer")
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    channel = data.get("channel")
    filters = selectors.CustomerFilters(
        q=data.get("q", ""),
        country=data.get("country", ""),
        channel=str(channel.pk) if channel else "",
        consent=data.get("consent", ""),
    )
    sort = data.get("sort") or selectors.DEFAULT_CUSTOMER_SORT
    page = keyset_page(
        selectors.customer_search(filters),
        selectors.CUSTOMER_SORTS[sort],
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    return render(
        request,
        "customers/customer_list.html",
        {"form": form, "page": page, "sort": sort, "query": query.urlencode()},
    )


@staff_required("customers.view_customer", "customers.view_order")
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer.objects.select_related("acquisition_channel"), pk=pk)
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "stats": selectors.customer_order_stats(customer),
            "orders": selectors.customer_recent_orders(customer),
        },
    )


@staff_required("customers.import_orders")
def import_list(request: HttpRequest) -> HttpResponse:
    form = OrderImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with transaction.atomic():
            order_import = OrderImport.objects.create(
                file_name=upload.name[:255],
                file=upload,
                dry_run=form.cleaned_data["dry_run"],
                created_by=request.user,
            )
            services.order_import_start(order_import=order_import)
        return redirect("customers:import_detail", pk=order_import.pk)
    imports = OrderImport.objects.select_related("created_by")[:20]
    return render(request, "customers/import_list.html", {"form": form, "imports": imports})


@staff_required("customers.import_orders")
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order_import = get_object_or_404(OrderImport, pk=pk)
    rejections = order_import.rejections.all()[:100]
    return render(
        request,
        "customers/import_detail.html",
        {"import": order_import, "rejections": rejections},
    )


@staff_required("customers.import_orders")
def import_report(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every rejected row of an import as CSV, streamed in constant memory."""
    order_import = get_object_or_404(OrderImport, pk=pk)

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(Rejection.REPORT_HEADER)
        rejections = ImportRejection.objects.filter(order_import=order_import).order_by("row", "id")
        columns = ("row", "order_id", "column", "value", "reason")
        for r in rejections.values_list(*columns).iterator(2000):
            yield writer.writerow([_safe_cell(str(v)) for v in r])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{pk}-rejected-rows.csv"'
    return response


def _safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas in values that came from an uploaded file."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
