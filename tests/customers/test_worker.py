"""An upload imported by a real Celery worker through the real broker (Redis in CI)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from clvcrm.celery import app as celery_app
from customers.models import Order, OrderImport
from customers.tasks import run_order_import

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CELERY_BROKER_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not BROKER, reason="needs CELERY_BROKER_URL (CI sets it)"),
]


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture
def worker():
    """A real worker process on the test database; tasks are sent, not run in-process."""
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "clvcrm.settings.test",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clvcrm",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    yield process
    process.terminate()
    process.wait(timeout=30)
    celery_app.conf.task_always_eager = True


def _wait_for(order_import_id: int, status: str, seconds: float = 60) -> OrderImport:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        order_import = OrderImport.objects.get(pk=order_import_id)
        if order_import.status == status:
            return order_import
        time.sleep(0.2)
    raise AssertionError(f"import {order_import_id} never reached {status}")


@pytest.mark.django_db(transaction=True)
def test_uploaded_file_is_imported_by_a_worker_once(worker, make_staff, client):
    client.force_login(make_staff("Admin"))
    upload = SimpleUploadedFile(
        "orders.csv",
        b"customer_id,order_id,placed_at,amount\nC1,O1,2025-01-01,5.00\n"
        b"C2,O2,2025-01-02,7.00\nC2,O3,nope,1\n",
    )

    response = client.post("/customers/imports/", {"file": upload})
    order_import = OrderImport.objects.get()
    assert response["Location"] == f"/customers/imports/{order_import.pk}/"

    done = _wait_for(order_import.pk, "succeeded")
    assert (done.orders_created, done.rows_rejected, done.rows_total) == (2, 1, 3)
    # A second delivery of the same task finds the import claimed and changes nothing.
    run_order_import.delay(order_import.pk)
    time.sleep(2)
    again = OrderImport.objects.get(pk=order_import.pk)
    assert (again.orders_created, again.rows_total, again.finished_at) == (2, 3, done.finished_at)
    assert Order.objects.count() == 2
    assert worker.poll() is None
