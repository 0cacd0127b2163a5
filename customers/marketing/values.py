"""A spend entry's values read from outside (a CSV cell, a form field, a JSON item, a query
parameter), with the same words everywhere: the month, the channel and the amount."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from clvcrm.core.input_values import InputValueError, day_within, decimal_for_field, text_within
from clvcrm.core.model_fields import max_length, model_field
from customers.models import AcquisitionChannel, MarketingSpend

MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
NOT_A_MONTH = "not a month (use YYYY-MM, like 2025-03)"
UNKNOWN_CHANNEL = "no acquisition channel has this name (check the spelling, or add the channel)"


@dataclass(frozen=True, slots=True)
class SpendEntry:
    """One month's spend on one channel, checked and ready to write."""

    month: date
    channel_id: int
    amount: Decimal


def month_from_text(text: str) -> date:
    """The first day of the month written as ``YYYY-MM`` (ASCII digits), within the
    supported dates."""
    found = MONTH.fullmatch(text.strip())
    if found is None:
        raise InputValueError(NOT_A_MONTH)
    return day_within(date(int(found[1]), int(found[2]), 1))


def amount_from_text(text: str) -> Decimal:
    """A spend amount: not negative, at most two decimal places, what the column holds."""
    if not text.strip():
        raise InputValueError("empty (write 0 for no spend)")
    return decimal_for_field(text, model_field(MarketingSpend, "amount"))


class ChannelNames:
    """The acquisition channels by name, read once: a file or a request names many.

    A name matches exactly, else case-insensitively when only one channel has it in any case
    (``paid search`` for ``Paid search``). An unknown name is an error, never a new channel:
    a typo would otherwise become a channel with spend and no customers, and the CAC table
    would show it as real.
    """

    def __init__(self) -> None:
        self.by_name: dict[str, int] = {}
        self.name_of: dict[int, str] = {}
        folded: dict[str, list[int]] = {}
        for pk, name in AcquisitionChannel.objects.values_list("pk", "name"):
            self.by_name[name] = pk
            self.name_of[pk] = name
            folded.setdefault(name.casefold(), []).append(pk)
        self.by_folded = {key: pks[0] for key, pks in folded.items() if len(pks) == 1}

    def channel_id(self, text: str) -> int:
        name = text_within(text.strip(), max_length=max_length(AcquisitionChannel, "name"))
        if not name:
            raise InputValueError("empty (name the acquisition channel)")
        found = self.by_name.get(name, self.by_folded.get(name.casefold()))
        if found is None:
            raise InputValueError(UNKNOWN_CHANNEL)
        return found
