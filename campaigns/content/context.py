"""The documented template context of campaign emails (docs/campaign-templates.md).

Built for a batch of recipients at once, in a fixed number of queries whatever the batch
size: the customers with their tier, balance, score and segment; the points about to
expire; the predicted-CLV band cut-offs (cached per CLV run); the recommended products.
Every value is plain data (see :func:`campaigns.content.engine.plain_data_check`).
"""

import hmac
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime

from campaigns.content.recommendations import recommendations_of
from campaigns.models import Campaign, OfferCodes
from customers.models import ClvRun, Customer, CustomerScore, PointsEntry, Segment

# "Points expiring": what will expire within this many days, as the expiry job will
# expire it (oldest earnings are spent first).
EXPIRY_NOTICE_DAYS = 30

# Predicted-CLV bands, best first: (label, share of customers from the top). A customer's
# band is the first whose cut-off their predicted CLV reaches; the cut-off of "top 10%" is
# the predicted CLV of the customer ranked ceil(10% of N) from the top, N being the
# customers the latest CLV run gave a prediction. The bottom band is the mirror image.
TOP_BANDS = (("top 10%", 10), ("top 25%", 25))
BOTTOM_BAND = ("bottom 25%", 25)
MIDDLE_BAND = "middle"
BAND_CACHE_SECONDS = 7 * 24 * 3600

# Unique offer codes: "CLV-" and two groups of four from an alphabet with no look-alikes
# (no 0/O, 1/I/L), 31**8 (about 2**40) codes, drawn from an HMAC of the message id.
OFFER_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
OFFER_CODE_SALT = "campaigns.offer_code"


def offer_code_unique(message_id: int) -> str:
    """The unique offer code of a message: deterministic, unguessable without SECRET_KEY."""
    number = int.from_bytes(salted_hmac(OFFER_CODE_SALT, str(message_id)).digest()[:8], "big")
    letters = []
    for _ in range(8):
        number, index = divmod(number, len(OFFER_CODE_ALPHABET))
        letters.append(OFFER_CODE_ALPHABET[index])
    return f"CLV-{''.join(letters[:4])}-{''.join(letters[4:])}"


def offer_code_valid(code: str, message_id: int) -> bool:
    """Whether ``code`` is the unique offer code of ``message_id`` (constant time)."""
    return hmac.compare_digest(code.upper(), offer_code_unique(message_id))


def offer_code_of(campaign: Campaign, message_id: int) -> str:
    """What ``{{ offer_code }}`` shows in the message ``message_id`` of ``campaign``."""
    if campaign.offer_codes == OfferCodes.SHARED:
        return campaign.offer_code
    if campaign.offer_codes == OfferCodes.UNIQUE:
        return offer_code_unique(message_id)
    return ""


def customer_contexts(
    *, campaign: Campaign, customer_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """The context of each customer (without ``offer_code``), by customer id.

    Queries: customers, expiring points, recommendations, the latest run (and on its first
    use the band cut-offs: two more), and the campaign's segment when it has one.
    """
    ids = sorted(set(customer_ids))
    rows = Customer.objects.filter(pk__in=ids).values(
        "id",
        "first_name",
        "last_name",
        "email",
        "loyalty__tier__name",
        "points_balance__balance",
        "score__predicted_clv",
        "segment_assignment__segment__code",
        "segment_assignment__segment__name",
    )
    customers = list(rows)
    expiring = points_expiring(ids)
    recommended = recommendations_of(ids)
    cut_offs = band_cut_offs()
    campaign_segment = _campaign_segment(campaign)
    shop = {"name": settings.SHOP_NAME}
    contexts: dict[int, dict[str, Any]] = {}
    for row in customers:
        points, expiring_on = expiring.get(row["id"], (0, None))
        segment = campaign_segment or {
            "code": row["segment_assignment__segment__code"] or "",
            "name": row["segment_assignment__segment__name"] or "",
        }
        contexts[row["id"]] = {
            "customer": {
                "first_name": row["first_name"],
                "last_name": row["last_name"],
                "full_name": f"{row['first_name']} {row['last_name']}".strip(),
                "email": row["email"],
            },
            "tier": row["loyalty__tier__name"] or "",
            "points": {
                "balance": row["points_balance__balance"] or 0,
                "expiring": points,
                "expiring_on": expiring_on,
            },
            "clv_band": clv_band(row["score__predicted_clv"], cut_offs),
            "segment": segment,
            "recommended_products": recommended.get(row["id"], []),
            "shop": shop,
        }
    return contexts


def _campaign_segment(campaign: Campaign) -> dict[str, str] | None:
    if campaign.segment_id is None:
        return None
    segment = Segment.objects.filter(pk=campaign.segment_id).values_list("code", "name").first()
    return {"code": segment[0], "name": segment[1]} if segment else None


# --------------------------------------------------------------------------- CLV bands


def band_cut_offs() -> dict[str, Decimal] | None:
    """The predicted CLV each band starts at, for the latest successful CLV run.

    Computed once per run and cached (a few index range reads over the scores); None
    when no customer has a prediction.
    """
    run_id = (
        ClvRun.objects.filter(status=ClvRun.Status.SUCCEEDED)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    key = f"campaigns:clv_bands:{run_id}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    cut_offs = _cut_offs_compute()
    cache.set(key, cut_offs or {}, BAND_CACHE_SECONDS)
    return cut_offs


def _cut_offs_compute() -> dict[str, Decimal] | None:
    scored = CustomerScore.objects.filter(predicted_clv__isnull=False)
    total = scored.count()
    if not total:
        return None
    ranks = {label: _ceil_share(total, share) for label, share in TOP_BANDS}
    ranks[BOTTOM_BAND[0]] = total - _ceil_share(total, BOTTOM_BAND[1]) + 1
    table = CustomerScore._meta.db_table
    one = (
        f"(SELECT predicted_clv FROM {table} WHERE predicted_clv IS NOT NULL "
        "ORDER BY predicted_clv DESC LIMIT 1 OFFSET %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join([one] * len(ranks))}", [r - 1 for r in ranks.values()])
        values = cursor.fetchone()
    return {
        label: Decimal(str(value)).quantize(Decimal("0.01"))
        for label, value in zip(ranks, values, strict=True)
    }


def _ceil_share(total: int, percent: int) -> int:
    return max(1, -(-total * percent // 100))


def clv_band(predicted_clv: Decimal | None, cut_offs: dict[str, Decimal] | None) -> str:
    """The band of ``predicted_clv``: "top 10%", "top 25%", "middle", "bottom 25%", or ""
    when there is no prediction (a customer the latest run could not score)."""
    if predicted_clv is None or not cut_offs:
        return ""
    for label, _ in TOP_BANDS:
        if predicted_clv >= cut_offs[label]:
            return label
    if predicted_clv <= cut_offs[BOTTOM_BAND[0]]:
        return BOTTOM_BAND[0]
    return MIDDLE_BAND


# --------------------------------------------------------------------------- points


def points_expiring(customer_ids: Sequence[int]) -> dict[int, tuple[int, date]]:
    """Points expiring within :data:`EXPIRY_NOTICE_DAYS` and the day the first of them
    expires, of each customer who has some (one query).

    The same first-in-first-out rule as the expiry job (customers.loyalty.points): credits
    (earnings net of their reversals, positive adjustments) in expiry order are used up by
    debits (redemptions, expiries, negative adjustments); what is left of an earning due in
    the window will expire.
    """
    if not customer_ids:
        return {}
    now = timezone.now()
    ledger = PointsEntry._meta.db_table
    least, greatest = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    ids = ", ".join(["%s"] * len(customer_ids))
    unspent = f"{least}(c.amount, {greatest}(c.through - COALESCE(d.spent, 0), 0))"
    statement = f"""
        SELECT customer_id, SUM(unspent), MIN(expires_at) FROM (
            SELECT c.customer_id, c.expires_at, {unspent} AS unspent FROM (
                SELECT e.customer_id, e.expires_at, e.amount,
                       SUM(e.amount) OVER (
                           PARTITION BY e.customer_id
                           ORDER BY e.expires_at IS NULL, e.expires_at, e.id
                       ) AS through
                FROM (
                    SELECT e0.id, e0.customer_id, e0.expires_at,
                           e0.points + CASE WHEN e0.kind = 'earn' THEN COALESCE((
                               SELECT SUM(r.points) FROM {ledger} r
                               WHERE r.order_id = e0.order_id AND r.kind = 'reverse'
                           ), 0) ELSE 0 END AS amount
                    FROM {ledger} e0
                    WHERE (e0.kind = 'earn' OR (e0.kind = 'adjust' AND e0.points > 0))
                      AND e0.customer_id IN ({ids})
                ) e
            ) c
            LEFT JOIN (
                SELECT customer_id, -SUM(points) AS spent FROM {ledger}
                WHERE (kind IN ('redeem', 'expire') OR (kind = 'adjust' AND points < 0))
                  AND customer_id IN ({ids})
                GROUP BY customer_id
            ) d ON d.customer_id = c.customer_id
            WHERE c.expires_at >= %s AND c.expires_at < %s
        ) due
        WHERE unspent > 0
        GROUP BY customer_id
    """
    window = [_param(now), _param(now + timedelta(days=EXPIRY_NOTICE_DAYS))]
    with connection.cursor() as cursor:
        cursor.execute(statement, [*customer_ids, *customer_ids, *window])
        rows = cursor.fetchall()
    return {
        customer_id: (int(points), timezone.localdate(_instant(first)))
        for customer_id, points, first in rows
    }


def _param(moment: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def _instant(value: datetime | str) -> datetime:
    """A timestamp read by raw SQL: SQLite returns UTC text, PostgreSQL a datetime."""
    if isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    assert parsed is not None, value
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)
