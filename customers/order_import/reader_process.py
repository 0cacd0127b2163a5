"""Read and validate an import's file in a child process, while this one writes.

With the reading on a thread, the writer thread waited for the GIL after each of its
statements: the reader holds it through C calls over a whole batch (splitting, matching,
CSV writing), and profiling a 10-million-row import found a fifth of the writer's time
spent on trivial statements waiting for it, with the database idle meanwhile. A forked
child has its own interpreter: it reads, validates and prepares the batches on one core
and sends them, pickled, through a pipe (whose buffer is the back-pressure), while this
process writes them and PostgreSQL works on the other core.

The child never touches the database: it inherits this process's connection but leaves
it alone and ends with ``os._exit``, which closes nothing behind the parent's back. It is
only forked from a process without other threads (a management command, not a threaded
web server), since a fork copies only the calling thread and any lock another thread
held would stay locked in the child.
"""

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Generator, Iterable
from multiprocessing import Pipe
from multiprocessing.connection import Connection

from customers.order_import.batches import Batch

Progress = Callable[[int], None]
Reader = Callable[[Progress | None], Iterable[Batch]]

_BATCH, _PROGRESS, _ERROR, _END = "batch", "progress", "error", "end"


class ReaderProcessError(RuntimeError):
    """The child process reading the file failed or ended unexpectedly."""


def fork_is_safe() -> bool:
    """Whether this process can fork a reader: POSIX, and no other thread running."""
    return hasattr(os, "fork") and threading.active_count() == 1


def batches_from_child(read: Reader, on_progress: Progress | None) -> Generator[Batch, None, None]:
    """Fork a child that runs ``read`` now; return an iterator of its batches, in order.

    The fork happens in this call, not at the first ``next``: the caller starts its
    writer thread afterwards. ``on_progress`` is called here with the child's progress.
    An exception in the child is raised here (as :class:`ReaderProcessError` if it
    cannot travel). Closing the iterator early stops the child.
    """
    receiving, sending = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        # A server's handler (gunicorn's, say) must not keep it alive when stopped.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        receiving.close()
        _child(read, sending, report_progress=on_progress is not None)
    sending.close()
    return _received(pid, receiving, on_progress)


def _received(
    pid: int, receiving: Connection, on_progress: Progress | None
) -> Generator[Batch, None, None]:
    finished = False
    try:
        while True:
            try:
                kind, value = receiving.recv()
            except EOFError:
                message = "the process reading the file ended unexpectedly"
                raise ReaderProcessError(message) from None
            if kind == _BATCH:
                yield value
            elif kind == _PROGRESS:
                assert on_progress is not None  # the child reports progress only if asked
                on_progress(value)
            elif kind == _ERROR:
                raise value
            else:
                finished = True
                return
    finally:
        receiving.close()
        if not finished:
            _stop(pid)
        os.waitpid(pid, 0)


def _child(read: Reader, sending: Connection, *, report_progress: bool) -> None:
    code = 0
    try:
        progress = (lambda done: sending.send((_PROGRESS, done))) if report_progress else None
        for batch in read(progress):
            sending.send((_BATCH, batch))
        sending.send((_END, None))
    except BrokenPipeError:
        code = 1  # the parent stopped listening: it has its own reason to stop
    except BaseException as exc:
        code = 1
        try:
            sending.send((_ERROR, exc))
        except Exception:
            sending.send((_ERROR, ReaderProcessError(f"{type(exc).__name__}: {exc}")))
    finally:
        os._exit(code)


def _stop(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended by itself
        os.kill(pid, signal.SIGTERM)
