"""Services of the segments: reassignment after a CLV run, custom segments saved, and
the transition outbox's claim."""

from typing import Any

from django.db import transaction

from clvcrm.core.audit import audit_diff, audit_record, audit_snapshot
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


def custom_segment_save(*, segment: Segment, actor: Any = None) -> Segment:
    """Save a custom segment (rules checked) and evaluate it against the latest segmented run.

    Raises :class:`~django.core.exceptions.ValidationError` naming each bad rule; nothing
    is saved then. If the evaluation fails anyway, the segment is saved marked broken. A
    staff ``actor`` is recorded in the audit log with the rules before and after.
    """
    with transaction.atomic(durable=True):
        stored = Segment.objects.filter(pk=segment.pk).first() if segment.pk else None
        before = audit_snapshot(stored) if stored is not None else {}
        custom.custom_segment_store(segment=segment)
        if actor is not None:
            changes = audit_diff(before, audit_snapshot(segment))
            action = "segment.update" if stored is not None else "segment.create"
            audit_record(actor=actor, action=action, target=segment, changes=changes)
    return segment
