"""Steps that events ask for often, run at most once per ``delay`` for all of them.

Orders come in through the API and the shops' webhooks a few at a time, many times a
minute; what follows an import (the loyalty refresh, over every customer) must not run
once per request. A request is one conditional UPDATE of the step's row: only the one
that finds no request pending queues the step, and the step clears the request as it
starts, so a request made while it runs queues it once more. A request pending longer
than ``STALE_AFTER`` (its task lost with a broker) queues the step again.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from clvcrm.pipeline.models import StepRequest

STALE_AFTER = timedelta(minutes=15)


def step_request(step: str) -> bool:
    """Ask for ``step``; whether this request must queue it (none pending, or stale)."""
    now = timezone.now()
    StepRequest.objects.bulk_create([StepRequest(step=step)], ignore_conflicts=True)
    pending = Q(requested_at__isnull=True) | Q(requested_at__lt=now - STALE_AFTER)
    return StepRequest.objects.filter(pending, step=step).update(requested_at=now) == 1


def step_start(step: str) -> bool:
    """Start ``step``: clear its request; ``False`` if none was pending (a second delivery
    of its task, which then does nothing)."""
    return (
        StepRequest.objects.filter(step=step, requested_at__isnull=False).update(requested_at=None)
        == 1
    )
