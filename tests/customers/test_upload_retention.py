"""Uploaded order files are deleted after the retention period; the imports stay."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.base import ContentFile
from django_celery_beat.models import PeriodicTask

from customers.models import ImportRejection, OrderImport
from customers.order_import.retention import ExpiredUploads
from customers.services.order_imports import order_import_files_expire
from customers.tasks import order_import_files_expire as order_import_files_expire_task

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 2, 3, 30, tzinfo=UTC)


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _upload(when: datetime, name: str, **counts: int) -> OrderImport:
    with time_machine.travel(when, tick=False):
        order_import = OrderImport.objects.create(
            file_name=name,
            file=ContentFile(b"customer_id,order_id\nC-1,O-1\n", name=name),
            status=OrderImport.Status.SUCCEEDED,
            **counts,
        )
    os.utime(order_import.file.path, (when.timestamp(), when.timestamp()))
    return order_import


def _orphan(media: Path, name: str, when: datetime) -> Path:
    path = media / "imports" / "2026" / "01" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("customer_id,order_id\n")
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


@pytest.fixture
def shop_uploads(media: Path) -> dict[str, OrderImport]:
    old = _upload(NOW - timedelta(days=30, seconds=1), "old.csv", rows_total=10, rows_rejected=1)
    ImportRejection.objects.create(order_import=old, row=3, column="amount", reason="not a number")
    recent = _upload(NOW - timedelta(days=29, hours=23), "recent.csv", rows_total=5)
    command_line = OrderImport.objects.create(file_name="cli.csv", created_at=NOW - timedelta(90))
    return {"old": old, "recent": recent, "command_line": command_line}


def test_files_past_the_retention_are_deleted_and_their_imports_marked(
    media, shop_uploads, django_assert_num_queries
) -> None:
    old_path = Path(shop_uploads["old"].file.path)
    recent_path = Path(shop_uploads["recent"].file.path)
    stale_orphan = _orphan(media, "rolled-back.csv", NOW - timedelta(days=31))
    fresh_orphan = _orphan(media, "just-uploaded.csv", NOW - timedelta(minutes=1))

    with time_machine.travel(NOW, tick=False), django_assert_num_queries(3):
        outcome = order_import_files_expire()

    assert outcome == ExpiredUploads(files=1, orphans=1, failures=[])
    assert not old_path.exists()
    assert not stale_orphan.exists()
    assert recent_path.exists()
    assert fresh_orphan.exists()
    old = OrderImport.objects.get(pk=shop_uploads["old"].pk)
    assert (old.file.name, old.file_deleted_at) == ("", NOW)
    assert (old.file_name, old.rows_total, old.rows_rejected) == ("old.csv", 10, 1)
    assert old.rejections.count() == 1
    recent = OrderImport.objects.get(pk=shop_uploads["recent"].pk)
    assert recent.file.name == shop_uploads["recent"].file.name
    assert recent.file_deleted_at is None
    cli = OrderImport.objects.get(pk=shop_uploads["command_line"].pk)
    assert cli.file_deleted_at is None  # it never had a stored file

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert order_import_files_expire() == ExpiredUploads()
    assert OrderImport.objects.get(pk=old.pk).file_deleted_at == NOW


def test_a_file_that_cannot_be_deleted_waits_for_the_next_run(media, shop_uploads) -> None:
    stuck = _upload(NOW - timedelta(days=40), "stuck.csv")
    path = Path(stuck.file.path)
    path.unlink()
    (path / "inside").mkdir(parents=True)  # a folder that is not empty: rmdir fails

    with time_machine.travel(NOW, tick=False):
        outcome = order_import_files_expire()

    assert outcome == ExpiredUploads(
        files=1, orphans=0, failures=[f"{stuck.file.name}: Directory not empty"]
    )
    assert OrderImport.objects.get(pk=stuck.pk).file_deleted_at is None
    assert OrderImport.objects.get(pk=shop_uploads["old"].pk).file_deleted_at == NOW


def test_the_retention_is_a_setting(settings, media, shop_uploads) -> None:
    settings.UPLOAD_RETENTION_DAYS = 7
    with time_machine.travel(NOW, tick=False):
        assert order_import_files_expire().files == 2


def test_the_nightly_schedule_runs_the_task(media, shop_uploads) -> None:
    schedule = PeriodicTask.objects.get(name="Nightly deletion of expired upload files")
    assert schedule.task == "customers.tasks.order_import_files_expire"
    assert (schedule.crontab.hour, schedule.crontab.minute) == ("3", "30")
    with time_machine.travel(NOW, tick=False):
        order_import_files_expire_task.delay()
    assert OrderImport.objects.get(pk=shop_uploads["old"].pk).file_deleted_at == NOW


def test_the_import_page_says_the_file_was_deleted(client, make_staff, media, shop_uploads):
    client.force_login(make_staff("Support"))
    with time_machine.travel(NOW, tick=False):
        order_import_files_expire()
    page = client.get(f"/customers/imports/{shop_uploads['old'].pk}/").content.decode()
    assert (
        "The uploaded file was deleted on 2026-04-02 (uploads are kept 30 days); "
        "the counts and rejected rows below stay." in page
    )
    assert "not a number" in page
