"""Staff pages for order imports: upload, progress and the rejected-rows report."""

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from clvcrm.core.csv_export import csv_download
from clvcrm.core.decorators import staff_required
from customers import services
from customers.forms import OrderImportForm
from customers.models import ImportRejection, OrderImport
from customers.order_import.errors import Rejection


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
        {
            "import": order_import,
            "rejections": rejections,
            "retention_days": settings.UPLOAD_RETENTION_DAYS,
        },
    )


@staff_required("customers.import_orders")
def import_report(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every rejected row of an import as CSV, streamed in constant memory."""
    order_import = get_object_or_404(OrderImport, pk=pk)
    rejections = ImportRejection.objects.filter(order_import=order_import).order_by("row", "id")
    rows = rejections.values_list("row", "order_id", "column", "value", "reason").iterator(2000)
    return csv_download(f"import-{pk}-rejected-rows.csv", Rejection.REPORT_HEADER, rows)
