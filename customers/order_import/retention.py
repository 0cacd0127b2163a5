"""Uploaded order files hold customer data: they are deleted after ``UPLOAD_RETENTION_DAYS``.

The import's row stays, with its counts and its rejected rows, and ``file_deleted_at`` says
when its file went. Files are deleted before their rows are marked, so a crash in between
only makes the next night repeat a deletion that finds nothing to delete.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import Storage
from django.utils import timezone

from customers.models import OrderImport

logger = logging.getLogger(__name__)

UPLOAD_FOLDER = "imports"


@dataclass
class ExpiredUploads:
    """What one deletion run did."""

    files: int = 0  # stored files of imports deleted, their imports marked
    orphans: int = 0  # files under imports/ that no import refers to (an upload rolled back)
    failures: list[str] = field(default_factory=list)  # "name: reason", kept for the next run


def expired_files_delete() -> ExpiredUploads:
    """Delete the stored files of imports uploaded more than ``UPLOAD_RETENTION_DAYS`` ago.

    Also deletes files of that age under ``imports/`` that no import refers to. A file that
    cannot be deleted is reported in ``failures`` and tried again next time; the others go
    on. Idempotent: a second run finds nothing to do. Three queries, whatever the number
    of imports: their files, one UPDATE marking them, the files still referred to.
    """
    now = timezone.now()
    cutoff = now - timedelta(days=settings.UPLOAD_RETENTION_DAYS)
    storage = OrderImport._meta.get_field("file").storage
    outcome = ExpiredUploads()
    expired = OrderImport.objects.filter(created_at__lt=cutoff).exclude(file="")
    deleted = [
        pk
        for pk, name in expired.values_list("pk", "file")
        if _delete(storage, name, outcome.failures)
    ]
    outcome.files = (
        OrderImport.objects.filter(pk__in=deleted)
        .exclude(file="")
        .update(file="", file_deleted_at=now)
    )
    outcome.orphans = _orphans_delete(storage, cutoff, outcome.failures)
    return outcome


def _orphans_delete(storage: Storage, cutoff: datetime, failures: list[str]) -> int:
    referenced = set(OrderImport.objects.exclude(file="").values_list("file", flat=True))
    orphans = [
        name
        for name in _stored_files(storage, UPLOAD_FOLDER)
        if name not in referenced and storage.get_modified_time(name) < cutoff
    ]
    return sum(_delete(storage, name, failures) for name in orphans)


def _stored_files(storage: Storage, folder: str) -> Iterator[str]:
    if not storage.exists(folder):
        return
    folders, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for name in folders:
        yield from _stored_files(storage, f"{folder}/{name}")


def _delete(storage: Storage, name: str, failures: list[str]) -> bool:
    try:
        storage.delete(name)
    except OSError as exc:
        logger.warning("upload file %s not deleted: %s", name, exc)
        failures.append(f"{name}: {exc.strerror or exc}")
        return False
    return True
