"""Garbage-collector settings for bulk work that makes millions of short-lived objects."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cycles rarely, and never rescan what existed before, during bulk work.

    Python's default collects the youngest generation every 700 allocations and keeps
    re-walking every live container; an import of ten million rows then spends about as
    long in the collector as in its own code. Our rows hold no reference cycles, so
    reference counting frees them anyway.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
