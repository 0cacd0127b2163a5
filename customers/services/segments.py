"""Services of the segments: reassignment after a CLV run, custom segments saved, and
the transition outbox's claim."""

from django.db import transaction

from customers.models import Segment
from customers.segments import custom, outbox
from customers.segments.reassign import Reassignment, reassign_run

__all__ = ["custom_segment_save", "segment_transition_mark_processed", "segments_reassign"]


def segments_reassign(*, run_id: int) -> Reassignment:
    """Put every customer in one default segment for a successful CLV run (set-based SQL).

    One transaction; transitions (the campaigns' outbox) only for customers whose segment
    changed; re-running the same run writes nothing. Raises
    :class:`~customers.segments.reassign.SegmentRunError` for a run that did not succeed
    or whose scores a newer run replaced. See ``customers.segments``.
    """
    return reassign_run(run_id=run_id)


def segment_transition_mark_processed(*, transition_id: int) -> bool:
    """Claim one segment transition for a consumer: ``True`` only for the one that did."""
    return outbox.transition_claim(transition_id=transition_id)


def custom_segment_save(*, segment: Segment) -> Segment:
    """Save a custom segment (rules checked) and evaluate it against the latest segmented run.

    Raises :class:`~django.core.exceptions.ValidationError` naming each bad rule; nothing
    is saved then. If the evaluation fails anyway, the segment is saved marked broken.
    """
    with transaction.atomic(durable=True):
        custom.custom_segment_store(segment=segment)
    return segment
