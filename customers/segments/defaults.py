"""The default segments and the thresholds row, created by the migration and on demand."""

from typing import Any

from customers.models.segments import DefaultSegment

DESCRIPTIONS: dict[str, str] = {
    DefaultSegment.NEW: "First purchase within the last 60 days (by default): too early to judge.",
    DefaultSegment.CHURNED: "Probably gone: P(alive) below 0.15, a one-time buyer whose only "
    "purchase is over a year old, or (with no model fitted) no purchase for a year.",
    DefaultSegment.AT_RISK: "Customers of at least median value whose P(alive) fell below 0.5 "
    "or whose spend over the last 90 days fell by half or more against the 90 days before.",
    DefaultSegment.HIGH_VALUE: "The top 20% of the remaining customers by predicted CLV.",
    DefaultSegment.LOW_VALUE: "Everyone else, including customers without a completed purchase.",
}


def segments_ensure_defaults(*, apps: Any = None) -> dict[str, int]:
    """Create the thresholds row and the default segments if missing; return code → id.

    Safe to run again; never changes a row staff may have edited (names, thresholds).
    """
    from django.apps import apps as global_apps

    apps = apps or global_apps
    segment_model = apps.get_model("customers", "Segment")
    apps.get_model("customers", "SegmentThresholds").objects.get_or_create(pk=1)
    defaults = segment_model.objects.filter(code__in=DefaultSegment.values)
    existing = dict(defaults.values_list("code", "id"))
    if len(existing) == len(DefaultSegment.values):
        return existing
    segment_model.objects.bulk_create(
        [
            segment_model(
                code=choice.value,
                name=choice.label,
                kind="default",
                description=DESCRIPTIONS[choice.value],
                priority=priority,
            )
            for priority, choice in enumerate(DefaultSegment, start=1)
        ],
        ignore_conflicts=True,
    )
    return dict(defaults.values_list("code", "id"))


def defaults_sync(apps: Any, schema_editor: Any) -> None:
    """Migration entry point: see :func:`segments_ensure_defaults`."""
    segments_ensure_defaults(apps=apps)
