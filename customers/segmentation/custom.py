"""Evaluate custom segments: replace each one's members with the customers matching now."""

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from customers.models import CustomSegmentMembership, Segment, SegmentReassignment
from customers.segmentation.rules import rules_clean, rules_queryset
from customers.segmentation.statistics import statistics_write

logger = logging.getLogger(__name__)


def custom_segments_evaluate(cursor: Any, *, run_id: int) -> list[int]:
    """Re-evaluate every custom segment in two statements each; return their ids."""
    segments = list(Segment.objects.filter(kind=Segment.Kind.CUSTOM).only("id", "rules"))
    for segment in segments:
        custom_segment_evaluate(cursor, segment=segment, run_id=run_id)
    return [segment.pk for segment in segments]


def custom_segment_evaluate(cursor: Any, *, segment: Segment, run_id: int) -> None:
    """Replace ``segment``'s members by one ``INSERT ... SELECT`` of its rule query."""
    table = CustomSegmentMembership._meta.db_table
    cursor.execute(f"DELETE FROM {table} WHERE segment_id = %s", [segment.pk])
    try:
        rules = rules_clean(segment.rules)
    except ValidationError as exc:
        # Forms and the admin check rules; a row edited by hand must not stop the run.
        logger.warning("custom segment %s has invalid rules, no members: %s", segment.pk, exc)
        return
    matching, params = rules_queryset(rules).values("id").query.sql_with_params()
    cursor.execute(
        f"INSERT INTO {table} (segment_id, customer_id, run_id) "
        f"SELECT %s, matching.id, %s FROM ({matching}) matching",
        [segment.pk, run_id, *params],
    )


def custom_segment_save(*, segment: Segment) -> Segment:
    """Save a custom segment (rules checked) and evaluate it against the latest segmented run.

    Raises :class:`ValidationError` naming each bad rule; nothing is saved then.
    """
    segment.kind = Segment.Kind.CUSTOM
    segment.rules = rules_clean(segment.rules)
    with transaction.atomic(durable=True):
        segment.save()
        latest = SegmentReassignment.objects.order_by("-finished_at", "-id").first()
        if latest is not None:
            with connection.cursor() as cursor:
                custom_segment_evaluate(cursor, segment=segment, run_id=latest.run_id)
                statistics_write(cursor, run_id=latest.run_id, segment_ids=[segment.pk])
    return segment
