"""The import's reader in a forked child: batches, progress and failures arrive intact."""

import os

import pytest
from django.core.management import call_command

from customers.models import ImportRejection, Order, OrderImport
from customers.order_import import write_thread
from customers.order_import.batches import Batch
from customers.order_import.reader_process import ReaderProcessError, batches_from_child


def _batches(count: int, *, fail_after: int | None = None, die_after: int | None = None):
    def read(progress):
        for n in range(count):
            if n == fail_after:
                raise ValueError(f"row {n} cannot be read")
            if n == die_after:
                os._exit(3)  # the child killed outright
            if progress is not None:
                progress(n * 100)
            yield Batch(rows=n, rejected_rows={n})

    return read


def test_the_child_sends_every_batch_and_its_progress_in_order():
    seen: list[int] = []
    batches = list(batches_from_child(_batches(5), seen.append))
    assert [(b.rows, b.rejected_rows) for b in batches] == [(n, {n}) for n in range(5)]
    assert seen == [0, 100, 200, 300, 400]


def test_an_error_in_the_child_is_raised_here_after_the_batches_before_it():
    batches = batches_from_child(_batches(5, fail_after=2), None)
    assert [next(batches).rows, next(batches).rows] == [0, 1]
    with pytest.raises(ValueError, match="row 2 cannot be read"):
        next(batches)


def test_an_error_that_cannot_be_pickled_arrives_by_name():
    class LocalError(Exception):
        """Pickle finds no class by this name at module level: it cannot travel."""

    def read(progress):
        yield Batch(rows=1)
        raise LocalError("lost in transit")

    with pytest.raises(ReaderProcessError, match=r"^LocalError: lost in transit$"):
        list(batches_from_child(read, None))


def test_a_child_that_dies_is_reported():
    with pytest.raises(ReaderProcessError, match="ended unexpectedly"):
        list(batches_from_child(_batches(5, die_after=1), None))


def test_the_child_starts_at_once_and_stopping_early_ends_it():
    children_before = _children()
    batches = batches_from_child(_batches(10_000), None)
    # Forked by the call, before the caller starts its writer thread.
    assert len(_children() - children_before) == 1
    assert next(batches).rows == 0
    batches.close()  # the writer failed, say
    assert _children() == children_before


def _children() -> set[int]:
    with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as f:
        return set(map(int, f.read().split()))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_import_read_by_a_child_process_reports_exactly(write_csv, monkeypatch):
    forked = []

    def child(read, on_progress):
        forked.append(True)
        return batches_from_child(read, on_progress)

    monkeypatch.setattr(write_thread, "fork_is_safe", lambda: True)
    monkeypatch.setattr(write_thread, "batches_from_child", child)
    rows = [f"C{i % 5},O{i:04d},2025-02-{1 + i % 28:02d},{i}.25" for i in range(1, 121)]
    rows[59] = "C9,O0060,yesterday,1.00"  # row 61 of the file
    path = write_csv("customer_id,order_id,placed_at,amount\n" + "\n".join(rows) + "\n")

    call_command("import_orders", str(path), "--batch-rows", "25")

    assert forked == [True]
    assert Order.objects.count() == 119
    run = OrderImport.objects.get()
    assert (run.status, run.rows_total, run.rows_rejected) == ("succeeded", 120, 1)
    rejection = ImportRejection.objects.get()
    assert (rejection.row, rejection.column, rejection.value) == (61, "placed_at", "yesterday")
