"""Answer-page submissions per client address and per invitation, in the Django cache.

A fixed one-minute window per key: the first submission of a minute creates the counter
(``add``, expiring with the window), each one increments it; past the limit the page
answers 429. The cache is shared by every web process when it is Redis (``CACHE_URL``);
with the local-memory default each process counts on its own.
"""

import time

from django.core.cache import cache

WINDOW_SECONDS = 60


def allow(scope: str, key: str, *, limit: int) -> bool:
    """Count one submission of ``key`` in ``scope``; whether it is within ``limit``."""
    window = int(time.time()) // WINDOW_SECONDS
    name = f"feedback:rate:{scope}:{key}:{window}"
    cache.add(name, 0, WINDOW_SECONDS + 1)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr: a new window
        cache.add(name, 1, WINDOW_SECONDS + 1)
        count = 1
    return count <= limit
