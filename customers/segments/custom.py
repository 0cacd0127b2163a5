"""Evaluate custom segments: replace each one's members with the customers matching now.

A custom segment whose rules cannot be evaluated (rules edited by hand in the database, an
unexpected database error) is marked broken with the reason, left without members and
skipped: the reassignment and every other segment go on. Each segment's statements run in
a savepoint, because on PostgreSQL a failed statement aborts the whole transaction.
"""

import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import CustomSegmentMembership, Segment, SegmentReassignment
from customers.segments.rules import rules_clean, rules_queryset
from customers.segments.statistics import statistics_write

logger = logging.getLogger(__name__)
MEMBERS = CustomSegmentMembership._meta.db_table


class SegmentEvaluationError(Exception):
    """A custom segment's rules could not be evaluated; ``str(exc)`` says why."""


def custom_segments_evaluate(cursor: Any, *, run_id: int) -> list[int]:
    """Re-evaluate every custom segment (a savepoint and two statements each); return ids.

    A segment that fails is marked broken and skipped; one that evaluates again after
    failing before is no longer broken.
    """
    segments = list(
        Segment.objects.filter(kind=Segment.Kind.CUSTOM).only("id", "code", "rules", "broken_since")
    )
    now = timezone.now()
    repaired = []
    for segment in segments:
        was_broken = segment.is_broken
        evaluated = custom_segment_evaluate_or_mark(cursor, segment=segment, run_id=run_id, now=now)
        if evaluated and was_broken:
            repaired.append(segment.pk)
    if repaired:
        Segment.objects.filter(pk__in=repaired).update(broken_reason="", broken_since=None)
    return [segment.pk for segment in segments]


def custom_segment_evaluate_or_mark(
    cursor: Any, *, segment: Segment, run_id: int, now: datetime
) -> bool:
    """Evaluate ``segment``; if that fails, mark it broken (no members). ``True`` if it worked."""
    try:
        custom_segment_evaluate(cursor, segment=segment, run_id=run_id)
    except SegmentEvaluationError as exc:
        _mark_broken(cursor, segment=segment, reason=str(exc), now=now)
        return False
    return True


def custom_segment_evaluate(cursor: Any, *, segment: Segment, run_id: int) -> None:
    """Replace ``segment``'s members by one ``INSERT ... SELECT`` of its rule query.

    Raises :class:`SegmentEvaluationError` when the stored rules are invalid or the database
    refuses them; the savepoint then leaves the members as they were.
    """
    try:
        rules = rules_clean(segment.rules)
    except ValidationError as exc:
        raise SegmentEvaluationError("; ".join(exc.messages)) from exc
    matching, params = rules_queryset(rules).values("id").query.sql_with_params()
    try:
        with transaction.atomic():
            cursor.execute(f"DELETE FROM {MEMBERS} WHERE segment_id = %s", [segment.pk])
            cursor.execute(
                f"INSERT INTO {MEMBERS} (segment_id, customer_id, run_id) "
                f"SELECT %s, matching.id, %s FROM ({matching}) matching",
                [segment.pk, run_id, *params],
            )
    except DatabaseError as exc:
        message = str(exc).strip().splitlines() or [type(exc).__name__]
        raise SegmentEvaluationError(f"the database refused the rules: {message[0]}") from exc


def _mark_broken(cursor: Any, *, segment: Segment, reason: str, now: datetime) -> None:
    """Record why ``segment`` is broken (since its first failure) and drop its members."""
    logger.error(
        "custom segment %s (id %s) is broken and skipped: %s", segment.code, segment.pk, reason
    )
    cursor.execute(f"DELETE FROM {MEMBERS} WHERE segment_id = %s", [segment.pk])
    Segment.objects.filter(pk=segment.pk).update(
        broken_reason=reason, broken_since=Coalesce(F("broken_since"), Value(now))
    )
    segment.broken_reason = reason
    segment.broken_since = segment.broken_since or now


def custom_segment_store(*, segment: Segment) -> None:
    """Save a custom segment (rules checked) and evaluate it against the latest segmented run.

    Inside the caller's transaction (``customers.services.segments.custom_segment_save``,
    the admin). Raises :class:`ValidationError` naming each bad rule; nothing is saved then.
    Saving clears a broken state; if the evaluation fails anyway, the segment is saved
    marked broken (``segment.is_broken``, with ``broken_reason``) and has no members.
    """
    segment.kind = Segment.Kind.CUSTOM
    segment.rules = rules_clean(segment.rules)
    segment.broken_reason, segment.broken_since = "", None
    segment.save()
    latest = SegmentReassignment.objects.order_by("-finished_at", "-id").first()
    if latest is None:
        return
    with connection.cursor() as cursor:
        custom_segment_evaluate_or_mark(
            cursor, segment=segment, run_id=latest.run_id, now=timezone.now()
        )
        statistics_write(cursor, run_id=latest.run_id, segment_ids=[segment.pk])
