"""Services of the order import: orders from a file or records, and uploaded files run,
re-mapped, finished and expired."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from clvcrm.core.audit import audit_record
from clvcrm.core.tasks import enqueue_on_commit
from customers.models import ColumnMapping, OrderImport
from customers.order_import import importer, retention, submitted
from customers.order_import.errors import ImportFileError
from customers.order_import.formats.mapped import header_key
from customers.order_import.importer import ImportSummary, OnReport
from customers.order_import.submitted import Submission

__all__ = [
    "order_import_files_expire",
    "order_import_finish",
    "order_import_map_columns",
    "order_import_run",
    "order_import_start",
    "orders_import",
    "orders_import_records",
    "orders_submit",
]

# The pipeline's task that runs an uploaded import and what follows it. This app may not
# import the project's pipeline (it composes the apps), so the upload queues it by name.
ORDER_IMPORT_RUN_TASK = "clvcrm.pipeline.tasks.order_import_run"
# The pipeline's task that runs what follows an import, after orders sent to the API.
ORDERS_RECEIVED_TASK = "clvcrm.pipeline.tasks.orders_received"


def orders_import(
    *,
    path: Path,
    dry_run: bool = False,
    order_import: OrderImport | None = None,
    on_rejection: OnReport | None = None,
    on_warning: OnReport | None = None,
    on_progress: Callable[[int], None] | None = None,
    batch_rows: int | None = None,
) -> ImportSummary:
    """Import the orders CSV at ``path`` (the format: README, "Importing orders").

    Refuses an unreadable file with :class:`ImportFileError` before writing anything: the
    only way it fails for the file's sake; a row it cannot use is rejected, alone or with
    its order, and every other row goes in. Batches commit one by one (a first import on
    PostgreSQL all at once); a dry run is the same import rolled back, so it counts
    exactly what the import would do. Importing the same file again creates nothing.
    Rejected rows go to ``on_rejection``, rows imported with a warning to ``on_warning``
    (and, with ``order_import``, both are stored with it); ``on_progress`` gets the bytes
    read so far. See :func:`customers.order_import.importer.import_file`.
    """
    return importer.import_file(
        path=path,
        dry_run=dry_run,
        order_import=order_import,
        on_rejection=on_rejection,
        on_warning=on_warning,
        on_progress=on_progress,
        batch_rows=batch_rows,
    )


def orders_import_records(
    *,
    records: Iterable[Mapping[str, object]],
    dry_run: bool = False,
    order_import: OrderImport | None = None,
    on_rejection: OnReport | None = None,
    on_warning: OnReport | None = None,
    batch_rows: int | None = None,
) -> ImportSummary:
    """Import orders given as records (the REST API's and webhooks' way), as a file would.

    Each record maps the CSV format's column names to the cell's text; rows of one order
    are consecutive records. The same checks, rejections, warnings and writes as
    :func:`orders_import`; report rows number the records from 1.
    """
    return importer.import_records(
        records=records,
        dry_run=dry_run,
        order_import=order_import,
        on_rejection=on_rejection,
        on_warning=on_warning,
        batch_rows=batch_rows,
    )


def orders_submit(*, orders: Sequence[Any], refused: Iterable[int] = ()) -> Submission:
    """Import orders sent to the API as JSON objects, each alone, as a file's would be.

    ``refused``: the indexes of orders the caller refused already (their shape). The
    orders go through :func:`orders_import_records` in one transaction, which commits
    only once PostgreSQL has flushed it (an API answer is an acknowledgement; a file's
    import may skip that wait, since it can be run again). When an order or a customer
    was added or changed, the pipeline's steps after an import are queued after commit.
    See :mod:`customers.order_import.submitted`.
    """
    with transaction.atomic():
        submission = submitted.import_submitted(orders, refused)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO on")
        if submission.changed_anything:
            enqueue_on_commit(ORDERS_RECEIVED_TASK)
    return submission


def order_import_start(*, order_import: OrderImport, actor: Any = None) -> None:
    """Queue the import of an uploaded file; it runs after the upload's transaction commits.

    The pipeline's task runs it (:func:`order_import_run`) and then what follows an import.
    A staff ``actor`` (the uploader) is recorded in the audit log in the caller's
    transaction.
    """
    if actor is not None:
        changes = {"file_name": order_import.file_name, "dry_run": order_import.dry_run}
        audit_record(actor=actor, action="import.start", target=order_import, changes=changes)
    enqueue_on_commit(ORDER_IMPORT_RUN_TASK, order_import.pk)


def order_import_map_columns(
    *,
    order_import: OrderImport,
    header: list[str],
    columns: dict[str, str],
    user: User | None = None,
) -> ColumnMapping:
    """Remember which of the file's columns gives each clvcrm column, for this file's
    ``header`` and every later file with the same one, then import the file again.

    ``columns`` maps clvcrm columns to the file's (as written; empty: not in the file).
    The import, failed for its missing columns, goes back to pending and is queued.
    """
    chosen = {column: name for column, name in columns.items() if name}
    with transaction.atomic():
        mapping, _ = ColumnMapping.objects.update_or_create(
            header_key=header_key(header),
            defaults={"header": header, "columns": chosen, "updated_by": user},
        )
        OrderImport.objects.filter(pk=order_import.pk).update(
            status=OrderImport.Status.PENDING, error="", started_at=None, finished_at=None
        )
        if user is not None:
            changes = {"header": header, "columns": chosen}
            audit_record(
                actor=user, action="import.map_columns", target=order_import, changes=changes
            )
        order_import_start(order_import=order_import)
    return mapping


def order_import_run(*, order_import_id: int) -> OrderImport | None:
    """Run a queued :class:`OrderImport` once, however often the task is delivered.

    The ``pending → running`` update is the claim: a second delivery finds no pending row
    and returns ``None`` without touching anything. A file that cannot be imported fails
    the import with the reason, shown on its page; anything else unforeseen fails it too,
    then reaches the worker's log.
    """
    claimed = OrderImport.objects.filter(
        pk=order_import_id, status=OrderImport.Status.PENDING
    ).update(
        status=OrderImport.Status.RUNNING,
        started_at=timezone.now(),
        currency=settings.SHOP_CURRENCY,
    )
    if not claimed:
        return None
    order_import = OrderImport.objects.get(pk=order_import_id)

    def progress(done: int) -> None:
        OrderImport.objects.filter(pk=order_import.pk).update(bytes_done=done)

    try:
        path = _uploaded_path(order_import)
        summary = orders_import(
            path=path,
            dry_run=order_import.dry_run,
            order_import=order_import,
            on_progress=progress,
        )
    except ImportFileError as exc:
        order_import_finish(
            order_import=order_import,
            status=OrderImport.Status.FAILED,
            error=str(exc),
        )
    except Exception as exc:
        order_import_finish(
            order_import=order_import,
            status=OrderImport.Status.FAILED,
            error=f"unexpected error: {exc!r}",
        )
        raise
    else:
        order_import_finish(
            order_import=order_import,
            status=OrderImport.Status.SUCCEEDED,
            ignored=list(summary.ignored_columns),
        )
    order_import.refresh_from_db()
    return order_import


def _uploaded_path(order_import: OrderImport) -> Path:
    path = Path(order_import.file.path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"the uploaded file cannot be read: {exc.strerror or exc}") from exc
    OrderImport.objects.filter(pk=order_import.pk).update(bytes_total=size)
    return path


def order_import_finish(
    *,
    order_import: OrderImport,
    status: str,
    error: str = "",
    ignored: list[str] | None = None,
) -> None:
    """Mark an import finished with ``status`` (and its error, or the ignored columns)."""
    OrderImport.objects.filter(pk=order_import.pk).update(
        status=status, error=error, finished_at=timezone.now(), ignored_columns=ignored or []
    )
    order_import.status = status


def order_import_files_expire() -> retention.ExpiredUploads:
    """Delete uploaded order files past ``UPLOAD_RETENTION_DAYS``; the imports stay.

    Safe to run twice: a file deleted once is not looked for again and its import is
    marked once; a file that could not be deleted is tried again on the next run.
    """
    return retention.expired_files_delete()
