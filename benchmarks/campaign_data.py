"""The campaign benchmark's data: customers by binary COPY, and the rows built from them.

The customers go into ``customers_customer`` with ``clvcrm.core.pgcopy`` (as the shop's
loader puts them); what hangs off them (segment memberships, pending transitions, scores)
is made by the server from that table in one ``INSERT ... SELECT`` each. The campaign is
made through the app's services, as staff make one.
"""

import time
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import psycopg

from benchmarks.database import execute
from benchmarks.shop_load import _copy, ascii_ids

EPOCH = datetime(1970, 1, 1).date()
# Tables the trigger step and the sender write; emptied between the trigger step's rounds.
CAMPAIGN_TABLES = ("campaigns_assignment", "campaigns_message", "campaigns_messagelink")
SUBJECT = "{{ customer.first_name }}, we miss you"
BODY_TEXT = (
    "Hello {{ customer.first_name }},\n\nIt has been a while. Here is 10% off your next order:\n"
    "https://shop.example/offer/{variant}?utm_campaign=winback\n\n"
    "See what is new: https://shop.example/new\n"
)
BODY_HTML = (
    "<html><body><h1>Hello {{ customer.first_name }},</h1><p>It has been a while. Here is "
    '<a href="https://shop.example/offer/{variant}?utm_campaign=winback">10% off your next '
    'order</a>.</p><p><a href="https://shop.example/new">See what is new</a></p></body></html>'
)


def customers_load(database: str, count: int) -> float:
    """``count`` emailable customers with marketing consent, ids 1..count; seconds taken."""
    started = time.perf_counter()
    ids = np.arange(1, count + 1, dtype=np.int64)
    width = len(str(count)) + 1
    emails = np.char.add(ascii_ids("k", ids, width), b"@example.com")
    first_names = ascii_ids("Ann", ids, width)
    now_us = int(time.time() * 1_000_000)
    columns: list[tuple[str, str, Any]] = [
        ("id", "int8", ids),
        ("external_id", f"text{width + 1}", ascii_ids("K", ids, width)),
        ("email", f"text{emails.itemsize}", emails),
        ("first_name", f"text{first_names.itemsize}", first_names),
        *((name, "text0", b"") for name in ("last_name", "phone", "country", "language")),
        ("acquired_on", "date", (date.today() - timedelta(days=400) - EPOCH).days),
        ("marketing_consent", "bool", 1),
        ("created_at", "timestamptz", now_us),
        ("updated_at", "timestamptz", now_us),
    ]
    with psycopg.connect(database, autocommit=True) as conn:
        _copy(conn, "customers_customer", columns)
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), "
            "(SELECT max(id) FROM customers_customer))"
        )
    execute(database, "VACUUM ANALYZE customers_customer")
    return time.perf_counter() - started


def campaign_create(segment_code: str, holdout: str) -> Any:
    """The retention campaign, through the services: two variants, a holdout, activated.

    Its activation queues the trigger step and the senders (on commit, to the broker);
    the benchmark purges those queues before it starts workers.
    """
    from decimal import Decimal

    from campaigns.services.campaigns import campaign_activate
    from campaigns.services.campaigns import campaign_create as create
    from customers.models import Segment
    from customers.segments.defaults import segments_ensure_defaults

    segments_ensure_defaults()
    campaign = create(
        fields={
            "name": "Benchmark win-back",
            "trigger": "segment_entered",
            "segment": Segment.objects.get(code=segment_code),
            "holdout_percent": Decimal(holdout),
        },
        variants=[
            {
                "name": f"V{i}",
                "weight": 1,
                "subject": SUBJECT,
                "body_text": BODY_TEXT.replace("{variant}", str(i)),
                "body_html": BODY_HTML.replace("{variant}", str(i)),
            }
            for i in (1, 2)
        ],
    )
    return campaign_activate(campaign_id=campaign.pk)


def entrants_write(database: str, *, segment_id: int, run_id: int, at: datetime) -> int:
    """Every customer is in segment ``segment_id`` and has a pending transition into it,
    as a reassignment leaves them (``customers.segments.write``); how many."""
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO customers_customersegment "
            "(customer_id, segment_id, reason, run_id, since) "
            "SELECT id, %s, 'at_risk_p_alive', %s, %s FROM customers_customer",
            [segment_id, run_id, at],
        )
        done = conn.execute(
            "INSERT INTO customers_segmenttransition "
            "(customer_id, to_segment_id, reason, run_id, created_at) "
            "SELECT id, %s, 'at_risk_p_alive', %s, %s FROM customers_customer ORDER BY id",
            [segment_id, run_id, at],
        )
        count = done.rowcount
    execute(database, "VACUUM ANALYZE customers_customersegment, customers_segmenttransition")
    return count


def trigger_round_reset(database: str) -> None:
    """Back to before the trigger step: no assignment or message, every transition pending."""
    execute(
        database,
        f"TRUNCATE {', '.join(CAMPAIGN_TABLES)} CASCADE",
        "UPDATE customers_segmenttransition SET processed_at = NULL",
        "UPDATE campaigns_triggercursor SET last_id = 0",
        f"VACUUM ANALYZE {', '.join(CAMPAIGN_TABLES)}, customers_segmenttransition",
        "CHECKPOINT",
    )


def segments_clear(database: str) -> None:
    """Forget the made-up segment state: the reassignment phase starts from real runs."""
    execute(
        database,
        "TRUNCATE customers_segmenttransition, customers_customersegment, "
        "customers_segmentstatistic, customers_segmentreassignment",
        "VACUUM ANALYZE customers_segmenttransition, customers_customersegment",
    )


def scores_write(database: str, *, run_id: int, as_of: date) -> None:
    """A score per customer for ``run_id``: alive (P 0.9), spend steady, historical and
    predicted value 100.00 to 199.00 by id, so the reassignment splits them into
    high and low value."""
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO customers_customerscore
                (customer_id, run_id, frequency, recency_days, age_days, monetary, total_spent,
                 first_purchase, last_purchase, p_alive, expected_purchases_90d,
                 expected_order_value, predicted_clv, historical_clv, rfm_recency,
                 rfm_frequency, rfm_monetary, rfm_score, spend_last_90d, spend_prior_90d)
            SELECT id, %(run)s, 5, 300, 400, 20.00, 100 + id %% 100,
                   %(first)s, %(last)s, 0.9, 0.5, 20.00, 100 + id %% 100, 100 + id %% 100,
                   3, 3, 3, '333', 10.00, 10.00
            FROM customers_customer
            """,
            {
                "run": run_id,
                "first": as_of - timedelta(days=400),
                "last": as_of - timedelta(days=100),
            },
        )
    execute(database, "VACUUM ANALYZE customers_customerscore")


def scores_slip(database: str, *, run_id: int, count: int) -> list[int]:
    """The scores become ``run_id``'s; ``count`` valuable customers (historical value at
    or above the median) fall to P(alive) 0.3, the at-risk rule's entry; their ids."""
    with psycopg.connect(database, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT id FROM customers_customer WHERE id %% 100 >= 60 ORDER BY id LIMIT %s",
            [count],
        ).fetchall()
        slipping = [row[0] for row in rows]
        conn.execute(
            "UPDATE customers_customerscore SET run_id = %s, "
            "p_alive = CASE WHEN customer_id = ANY(%s) THEN 0.3 ELSE p_alive END",
            [run_id, slipping],
        )
    execute(database, "VACUUM ANALYZE customers_customerscore")
    return slipping


def clv_run_made(as_of: date) -> int:
    """A succeeded CLV run record (its scores are written by the benchmark); its id."""
    from django.utils import timezone

    from customers.models import ClvRun

    now = timezone.now()
    run = ClvRun.objects.create(
        as_of=as_of,
        status=ClvRun.Status.SUCCEEDED,
        triggered_by="benchmark",
        started_at=now,
        finished_at=now,
    )
    return run.pk
