"""Staff pages for order imports: upload, progress and the report of rejected and warned
rows."""

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from clvcrm.core.csv_export import csv_download
from clvcrm.core.decorators import staff_required, staff_user
from clvcrm.core.uploads import UploadSizeLimit
from customers import services
from customers.forms import OrderImportForm
from customers.models import ImportRejection, OrderImport
from customers.order_import.errors import RowReport


# The size limit must be in place before anything reads the request's body, the CSRF check
# included; so the check runs after it (Django's documented way to change upload handlers).
@csrf_exempt
@staff_required("customers.import_orders")
def import_list(request: HttpRequest) -> HttpResponse:
    limit = UploadSizeLimit(request, settings.ORDER_IMPORT_MAX_UPLOAD_BYTES)
    request.upload_handlers.insert(0, limit)
    return _import_list(request, limit)


@csrf_protect
def _import_list(request: HttpRequest, limit: UploadSizeLimit) -> HttpResponse:
    form = OrderImportForm(
        request.POST or None, request.FILES or None, refused_upload=bool(limit.refused)
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with transaction.atomic():
            order_import = OrderImport.objects.create(
                file_name=OrderImport.file_name_of(upload.name or ""),
                file=upload,
                dry_run=form.cleaned_data["dry_run"],
                created_by=staff_user(request),
            )
            services.order_import_start(order_import=order_import)
        return redirect("customers:import_detail", pk=order_import.pk)
    imports = OrderImport.objects.select_related("created_by")[:20]
    context = {
        "form": form,
        "imports": imports,
        "max_upload_bytes": settings.ORDER_IMPORT_MAX_UPLOAD_BYTES,
    }
    return render(request, "customers/import_list.html", context)


@staff_required("customers.import_orders")
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order_import = get_object_or_404(OrderImport, pk=pk)
    report = order_import.rejections.all()
    rejections = report.filter(kind=ImportRejection.Kind.REJECTED)[:100]
    warnings = report.filter(kind=ImportRejection.Kind.WARNING)[:100]
    return render(
        request,
        "customers/import_detail.html",
        {
            "import": order_import,
            "rejections": rejections,
            "warnings": warnings,
            "retention_days": settings.UPLOAD_RETENTION_DAYS,
        },
    )


@staff_required("customers.import_orders")
def import_report(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every rejected row and every warning of an import as CSV, in constant memory."""
    order_import = get_object_or_404(OrderImport, pk=pk)
    report = ImportRejection.objects.filter(order_import=order_import).order_by("row", "id")
    columns = ("row", "kind", "order_id", "column", "value", "reason")
    rows = report.values_list(*columns).iterator(2000)
    return csv_download(f"import-{pk}-report.csv", RowReport.REPORT_HEADER, rows)
