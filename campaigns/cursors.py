"""Named row locks: a ``TriggerCursor`` row per source or queue, locked for a transaction."""

from campaigns.models import TriggerCursor


def cursor_locked(source: str) -> TriggerCursor:
    """The ``source`` row (made on first use), locked until the transaction ends: whoever
    else asks for it waits, so two runs of a step (or two claims) take turns."""
    TriggerCursor.objects.get_or_create(source=source)
    return TriggerCursor.objects.select_for_update().get(source=source)
