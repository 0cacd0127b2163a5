"""``duration`` says how long something took, in words a person reads."""

from datetime import datetime, timedelta

import pytest

from clvcrm.core.templatetags.durations import duration

START = datetime(2026, 12, 5, 6, 0)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0.0 s"),
        (4.24, "4.2 s"),
        (59.94, "59.9 s"),
        (185, "3 min 05 s"),
        (3599.4, "59 min 59 s"),
        (3720, "1 h 02 min"),
        (-5, "0.0 s"),  # a clock that stepped back: nothing negative
    ],
)
def test_durations(seconds, shown):
    assert duration(START, START + timedelta(seconds=seconds)) == shown


def test_an_unfinished_thing_has_no_duration():
    assert duration(START, None) == ""
    assert duration(None, START) == ""
