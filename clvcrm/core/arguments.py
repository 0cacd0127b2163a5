"""Argument types for management commands, with messages that name the bad value."""

import argparse
from datetime import date


def iso_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    return _whole_number(text, minimum=1, kind="a positive whole number")


def non_negative_int(text: str) -> int:
    """A whole number of at least 0."""
    return _whole_number(text, minimum=0, kind="a whole number, 0 or more")


def _whole_number(text: str, *, minimum: int, kind: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}")
    return value
