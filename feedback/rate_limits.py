"""Answer-page submissions per client address and per invitation, in the Django cache.

A fixed one-minute window per key: each submission increments the window's counter, the
first of a minute creates it (``add``, expiring with the window); past the limit the page
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
    try:
        count = cache.incr(name)
    except ValueError:  # the window's first submission (or its counter just expired)
        # Another process may have created it meanwhile: then it counts this one too.
        count = 1 if cache.add(name, 1, WINDOW_SECONDS + 1) else cache.incr(name)
    return count <= limit
