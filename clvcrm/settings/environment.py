"""Reading the environment strictly: a value that does not parse stops the start, by name.

django-environ reads ``DEBUG=ture`` as false and lets ``int("abc")`` fail without saying
which variable held it; a process that starts with a setting other than the one written
down is worse than one that refuses to start.
"""

import warnings
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BOOLEANS = {
    "true": True,
    "yes": True,
    "on": True,
    "1": True,
    "false": False,
    "no": False,
    "off": False,
    "0": False,
}

# The periods a throttle rate may name (DRF reads only their first letter).
PERIODS = ("second", "minute", "hour", "day", "s", "m", "h", "d")


class StrictEnv(environ.Env):
    """``environ.Env`` whose every malformed value raises ``ImproperlyConfigured`` naming it."""

    def get_value(
        self,
        var: str,
        cast: Any = None,
        default: Any = environ.Env.NOTSET,
        parse_default: bool = False,
    ) -> Any:
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except (ValueError, TypeError) as exc:
            raise self.invalid(var, str(exc)) from exc

    @classmethod
    def parse_value(cls, value: Any, cast: Any) -> Any:
        if cast is bool and isinstance(value, str):
            try:
                return BOOLEANS[value.strip().lower()]
            except KeyError:
                raise ValueError("expected true or false (or yes/no, on/off, 1/0)") from None
        return super().parse_value(value, cast)

    def db_url(self, var: str = environ.Env.DEFAULT_DATABASE_ENV, **kwargs: Any) -> dict:
        # django-environ only warns about a URL of no known database, and returns {}.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                config = super().db_url(var, **kwargs)
            except (ValueError, KeyError):
                config = {}
        if not config.get("ENGINE"):
            raise self.invalid(var, "expected a database URL (postgres://… or sqlite:///…)")
        return config

    db = db_url

    def int_at_least(self, var: str, minimum: int, *, default: int) -> int:
        """An integer of at least ``minimum`` (a count, a number of days)."""
        value = self.int(var, default=default)
        if value < minimum:
            raise self.invalid(var, f"must be at least {minimum}")
        return value

    def percent_up_to(self, var: str, maximum: float, *, default: float) -> float:
        """A percentage from 0 to ``maximum`` (a share of customers)."""
        value = self.float(var, default=default)
        if not 0 <= value <= maximum:  # also refuses NaN
            raise self.invalid(var, f"must be a percentage from 0 to {maximum:g}")
        return value

    def rate(self, var: str, *, default: str) -> str:
        """A request rate as DRF's throttles read it: ``<count>/<second|minute|hour|day>``."""
        value = self.str(var, default=default).strip()
        count, _, period = value.partition("/")
        if not (count.isascii() and count.isdigit() and int(count) > 0) or period not in PERIODS:
            raise self.invalid(var, "expected <count>/<second|minute|hour|day>, e.g. 600/minute")
        return value

    def invalid(self, var: str, reason: str) -> ImproperlyConfigured:
        """The error for a variable whose value cannot be used, with the value and why."""
        return ImproperlyConfigured(
            f"The environment variable {var}={self.ENVIRON.get(var)!r} is invalid: {reason}"
        )
