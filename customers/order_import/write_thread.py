"""Write batches on a second thread while the next ones are read and validated.

Reading and validating a batch is Python work; writing it is mostly waiting for the
database, which runs on another core. Overlapping the two makes a large import about as
fast as the slower of them instead of their sum. The writer thread has its own database
connection, so this is only done outside a transaction (a test's, say), where the two
connections would not see each other's rows; there everything runs on one thread. The
reading itself runs in a child process when it can (``reader_process``), so that it does
not hold the GIL the writer thread needs between its statements.
"""

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext

from django.db import connection

from customers.order_import.batches import Batch
from customers.order_import.reader_process import (
    Progress,
    Reader,
    batches_from_child,
    fork_is_safe,
)
from customers.order_import.writer import Counts

QUEUE_DEPTH = 2
_DONE = object()
_STOP = object()


class _ReaderFailedError(Exception):
    """Raised on the writer thread when the reading thread failed."""


Session = Callable[[], AbstractContextManager]


def write_batches(
    read: Reader,
    write: Callable[[Batch], Counts],
    session: Session = nullcontext,
    on_progress: Progress | None = None,
) -> Iterator[tuple[Batch, Counts]]:
    """Call ``write`` on every batch ``read(on_progress)`` gives; yield each with its counts.

    ``session()`` is entered around all the writes, on the thread that makes them. In
    the background, the batches are read in a child process where that is safe
    (``reader_process``), else on this thread.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with session():
            for batch in read(on_progress):
                yield batch, write(batch)
        return
    if fork_is_safe():
        # The child prepares the next batch while one waits here: a deeper queue would
        # only hold more batches in memory.
        yield from _in_background(batches_from_child(read, on_progress), write, session, 1)
    else:
        yield from _in_background(read(on_progress), write, session, QUEUE_DEPTH)


def _in_background(
    batches: Iterable[Batch], write: Callable[[Batch], Counts], session: Session, depth: int
) -> Iterator[tuple[Batch, Counts]]:
    todo: queue.Queue = queue.Queue(maxsize=depth)
    done: queue.Queue = queue.Queue()
    failure: list[BaseException] = []
    reader_failed = threading.Event()

    def writer() -> None:
        try:
            with session():
                while (batch := todo.get()) is not _DONE:
                    if batch is _STOP:
                        raise _ReaderFailedError
                    if not reader_failed.is_set():  # else skip what is queued until _STOP
                        done.put((batch, write(batch)))
        except _ReaderFailedError:
            pass  # the reader failed, and says so itself; the session rolled back
        except BaseException as exc:  # re-raised on the reading thread
            failure.append(exc)
            while todo.get() not in (_DONE, _STOP):  # let the reader finish putting
                pass
        finally:
            connection.close()

    thread = threading.Thread(target=writer, name="order-import-writer", daemon=True)
    thread.start()
    read_all = False
    try:
        for batch in batches:
            if failure:
                break
            todo.put(batch)
            yield from _drain(done)
        read_all = True
    finally:
        # A failure while reading (or of the caller) stops the writer without the
        # batches still queued, and rolls back a session's transaction.
        if not read_all:
            reader_failed.set()
            # Stop the reading now (a child process, an open file), not at collection.
            close = getattr(batches, "close", None)
            if close is not None:
                close()
        todo.put(_DONE if read_all else _STOP)
        thread.join()
    yield from _drain(done)
    if failure:
        raise failure[0]


def _drain(done: queue.Queue) -> Iterator[tuple[Batch, Counts]]:
    while True:
        try:
            yield done.get_nowait()
        except queue.Empty:
            return
