"""``{{ start|duration:end }}``: how long something took, in words a person reads."""

from datetime import datetime

from django import template

register = template.Library()


@register.filter
def duration(started: datetime | None, finished: datetime | None) -> str:
    """``1 h 02 min``, ``3 min 05 s``, ``4.2 s``; "" when either end is missing."""
    if started is None or finished is None:
        return ""
    seconds = max(0.0, (finished - started).total_seconds())
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
