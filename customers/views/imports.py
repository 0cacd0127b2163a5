"""Staff pages for order imports: upload, progress, the report of rejected and warned rows,
and the column mapping of a file in another layout."""

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from clvcrm.core.csv_export import csv_download
from clvcrm.core.decorators import staff_required, staff_user
from clvcrm.core.uploads import UploadSizeLimit
from customers.forms import ColumnMappingForm, OrderImportForm
from customers.models import ColumnMapping, ImportRejection, OrderImport
from customers.order_import.errors import ImportFileError, RowReport
from customers.order_import.formats.base import normalise
from customers.order_import.formats.mapped import header_key
from customers.order_import.source import KNOWN_COLUMNS, header_of
from customers.services.order_imports import order_import_map_columns, order_import_start

MISSING_COLUMNS = "required column(s) missing"


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
            order_import_start(order_import=order_import, actor=staff_user(request))
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
            "mappable": _mappable(order_import),
        },
    )


def _mappable(order_import: OrderImport) -> bool:
    """A failed import whose file lacks clvcrm's columns can be read through a mapping."""
    return (
        order_import.status == OrderImport.Status.FAILED
        and order_import.error.startswith(MISSING_COLUMNS)
        and bool(order_import.file)
        and order_import.file_deleted_at is None
    )


@staff_required("customers.import_orders")
def import_columns(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose which of the file's columns gives each clvcrm column; remembered for the next
    file with the same header, then the file is imported again."""
    order_import = get_object_or_404(OrderImport, pk=pk)
    if not _mappable(order_import):
        return redirect("customers:import_detail", pk=pk)
    try:
        header = header_of(Path(order_import.file.path))
    except ImportFileError:
        return redirect("customers:import_detail", pk=pk)
    form = ColumnMappingForm(request.POST or None, header=header, initial=_guess(header))
    if request.method == "POST" and form.is_valid():
        columns = {c: form.cleaned_data[c] for c in KNOWN_COLUMNS}
        order_import_map_columns(
            order_import=order_import, header=header, columns=columns, user=staff_user(request)
        )
        return redirect("customers:import_detail", pk=pk)
    context = {"import": order_import, "form": form, "header": header}
    return render(request, "customers/import_columns.html", context)


def _guess(header: list[str]) -> dict[str, str]:
    """The mapping remembered for this header, else the columns named like clvcrm's."""
    remembered = ColumnMapping.objects.filter(header_key=header_key(header)).first()
    if remembered is not None:
        return dict(remembered.columns)
    by_name = {normalise(name): name for name in header if name}
    return {column: by_name[column] for column in KNOWN_COLUMNS if column in by_name}


@staff_required("customers.import_orders")
def import_report(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every rejected row and every warning of an import as CSV, in constant memory."""
    order_import = get_object_or_404(OrderImport, pk=pk)
    report = ImportRejection.objects.filter(order_import=order_import).order_by("row", "id")
    columns = ("row", "kind", "order_id", "column", "value", "reason")
    rows = report.values_list(*columns).iterator(2000)
    return csv_download(f"import-{pk}-report.csv", RowReport.REPORT_HEADER, rows)
