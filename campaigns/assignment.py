"""Deterministic assignment: a customer's bucket in a campaign, and so their arm.

The bucket is ``int(md5("<campaign>:<customer>")[:8], 16) % BUCKETS``: stable across runs,
machines and databases, independent between campaigns (a customer held out of one campaign
is no likelier to be held out of the next), and computed inside the set-based SQL of the
trigger step. PostgreSQL computes it with its own ``md5``; SQLite (the embedded demo) with
the same Python function registered on each connection (:func:`sqlite_functions_register`).
The holdout is buckets ``[0, holdout_buckets)``; each variant owns the range
``[bucket_from, bucket_to)`` after it, fixed at first activation (:func:`variant_ranges`).

The global control group is the same hash with the key ``global`` in place of a campaign:
buckets ``[0, global_control_buckets())`` of it, so membership is stable and does not depend
on any campaign. Raising the share only adds customers to the group; lowering it only
releases some.
"""

import hashlib
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from campaigns.models import BUCKETS

GLOBAL_CONTROL_KEY = "global"


def bucket_of(campaign_id: int | str, customer_id: int) -> int:
    """The customer's bucket in the campaign (or under another key), in ``[0, BUCKETS)``."""
    digest = hashlib.md5(f"{campaign_id}:{customer_id}".encode(), usedforsecurity=False)
    return int(digest.hexdigest()[:8], 16) % BUCKETS


def bucket_sql(vendor: str, campaign: str, customer: str) -> str:
    """SQL computing :func:`bucket_of` from two column expressions (or a quoted key)."""
    if vendor == "postgresql":
        text = f"md5({campaign}::text || ':' || {customer}::text)"
        return f"mod(('x' || substr({text}, 1, 8))::bit(32)::bigint, {BUCKETS})"
    return f"clvcrm_bucket({campaign}, {customer})"


def global_control_buckets() -> int:
    """How many buckets the global control group takes (0: there is none)."""
    return round(settings.CAMPAIGN_GLOBAL_CONTROL_PERCENT * BUCKETS / 100)


def in_global_control(customer_id: int) -> bool:
    """Whether the customer is in the global control group (no marketing campaign)."""
    return bucket_of(GLOBAL_CONTROL_KEY, customer_id) < global_control_buckets()


def global_control_sql(vendor: str, customer: str) -> str | None:
    """An SQL condition true for the global control group's members; None when it is off."""
    buckets = global_control_buckets()
    if not buckets:
        return None
    return f"{bucket_sql(vendor, repr(GLOBAL_CONTROL_KEY), customer)} < {buckets}"


def sqlite_functions_register(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: SQLite gets :func:`bucket_of` as ``clvcrm_bucket``."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("clvcrm_bucket", 2, bucket_of, deterministic=True)


def variant_ranges(*, holdout_buckets: int, weights: Sequence[int]) -> list[tuple[int, int]]:
    """Split the buckets after the holdout among the variants in proportion to ``weights``.

    Half-open ranges, in the order of ``weights``, covering ``[holdout_buckets, BUCKETS)``
    exactly (the last range takes the rounding remainder).
    """
    if not weights or any(weight < 1 for weight in weights):
        raise ValueError("a campaign needs at least one variant, each with a positive weight")
    available = BUCKETS - holdout_buckets
    total = sum(weights)
    ranges = []
    start = holdout_buckets
    cumulative = 0
    for position, weight in enumerate(weights):
        cumulative += weight
        end = (
            BUCKETS
            if position == len(weights) - 1
            else holdout_buckets + (available * cumulative // total)
        )
        ranges.append((start, end))
        start = end
    return ranges
