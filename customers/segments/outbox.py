"""The consumer side of the transition outbox: claim each transition exactly once.

A consumer (the campaigns app) handles a transition inside the transaction that marks it
processed. The mark is a conditional ``UPDATE ... WHERE processed_at IS NULL``: of two
consumers racing for a row, the second waits for the first's row lock and then updates
nothing, so it skips the row. A handler that raises rolls the mark back with its own
writes: the transition stays pending for the next attempt.
"""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from customers.models import SegmentTransition


def transition_claim(*, transition_id: int) -> bool:
    """Mark one transition processed; ``True`` only for the caller that marked it."""
    return bool(
        SegmentTransition.objects.filter(pk=transition_id, processed_at__isnull=True).update(
            processed_at=timezone.now()
        )
    )


def transitions_process(*, handle: Callable[[SegmentTransition], None], limit: int = 1000) -> int:
    """Hand each pending transition (oldest first, up to ``limit``) to ``handle`` once.

    Each transition is claimed and handled in its own transaction; returns how many this
    call handled.
    """
    pending = list(
        SegmentTransition.objects.filter(processed_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    handled = 0
    for transition_id in pending:
        with transaction.atomic():
            if not transition_claim(transition_id=transition_id):
                continue  # another consumer got there first
            handle(SegmentTransition.objects.select_related("to_segment").get(pk=transition_id))
            handled += 1
    return handled
