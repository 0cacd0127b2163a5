"""Benchmark a campaign's results on PostgreSQL: 100,000 assigned in a shop of 1M customers.

What is measured (issue 13, "Benchmark"): ``campaigns.services.results.
campaign_results_compute`` for one campaign with ``--assigned`` customers (two variants and
a 10 % holdout by the real hash; each variant's assignment with a sent message), in the
shop of the CLV benchmark (``benchmarks.shop``: 1M customers, 10M completed orders over two
years, loaded with binary ``COPY``). The computation attributes every order in each
assigned customer's window, sums the 90 days before each assignment (the CUPED covariate),
counts the messages and runs the statistics, then stores the computation: the figure a
results page and the API read. ``--repeat`` computations, medians; each is a new row.

The assigned customers are every ``N``-th customer of the shop (so they span every
acquisition date), assigned at times spread over the ``--spread-days`` days before the
as-of day: their windows (7 days) have mostly closed, and the orders the shop simulated
after each assignment are the conversions.

Usage::

    .venv/bin/python -m benchmarks.campaign_results [--customers 1000000]
        [--orders 10000000] [--assigned 100000] [--repeat 5] [--keep-db] [--reuse-db]
        [--no-doc]
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock
from typing import Any

import psycopg

from benchmarks.database import Server, add_redis_argument, execute, setup_django
from benchmarks.report import (
    command_line,
    load_average,
    machine_announce,
    machine_line,
    met,
    say,
    seconds_list,
    section_publish,
)
from benchmarks.shop import shop_time_zone
from benchmarks.shop_load import prepare_database, shop_args, shop_options, shop_parser

SECTION = "campaign-results"
CAMPAIGN_NAME = "Benchmark results"
TARGET_SECONDS = 2.0
PG_SETTINGS = ("shared_buffers", "work_mem", "synchronous_commit")
CAMPAIGN_TABLES = (
    "campaigns_armresult",
    "campaigns_resultcomputation",
    "campaigns_message",
    "campaigns_assignment",
)


@dataclass
class Results:
    args: argparse.Namespace
    box: dict[str, str]
    pg: dict[str, str]
    facts: dict[str, Any]
    load_seconds: dict[str, float]
    as_of: date
    campaign_id: int = 0
    seconds: list[float] = field(default_factory=list)
    arms: list[dict[str, Any]] = field(default_factory=list)
    final: bool = False
    srm_p: float | None = None


def campaign_made() -> int:
    """The campaign, through the services: two variants, 10 % holdout, its ranges fixed by
    activation (whose queued tasks go to the benchmark's broker and are never run)."""
    from decimal import Decimal

    from campaigns.models import Campaign
    from campaigns.services.campaigns import campaign_activate, campaign_create
    from customers.models import Segment
    from customers.segments.defaults import segments_ensure_defaults

    existing = Campaign.objects.filter(name=CAMPAIGN_NAME).first()
    if existing is not None:  # a reused database's, active with its ranges fixed
        return existing.pk
    segments_ensure_defaults()
    campaign = campaign_create(
        fields={
            "name": CAMPAIGN_NAME,
            "trigger": "segment_entered",
            "segment": Segment.objects.get(code="at_risk"),
            "holdout_percent": Decimal("10"),
        },
        variants=[
            {"name": name, "weight": 1, "subject": "Hello", "body_text": "Hello"}
            for name in ("A", "B")
        ],
    )
    return campaign_activate(campaign_id=campaign.pk).pk


def assignments_write(database: str, r: Results) -> None:
    """``--assigned`` customers assigned by the real hash, with their messages sent."""
    from django.utils import timezone

    from campaigns.assignment import bucket_sql

    customers = r.facts["customers"]
    step = max(1, customers // r.args.assigned)
    end = timezone.make_aware(datetime.combine(r.as_of, clock.max))
    bucket = bucket_sql("postgresql", "%(campaign)s::bigint", "c.id")
    execute(database, f"TRUNCATE {', '.join(CAMPAIGN_TABLES)} CASCADE")
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(
            f"""
            INSERT INTO campaigns_assignment
                (campaign_id, customer_id, trigger_ref, variant_id, triggered_at, assigned_at)
            SELECT %(campaign)s, c.id, 'benchmark', v.id, t.at, t.at
            FROM (SELECT id FROM customers_customer WHERE id %% %(step)s = 0
                  ORDER BY id LIMIT %(assigned)s) c
            CROSS JOIN LATERAL (
                SELECT %(end)s::timestamptz
                       - make_interval(secs => (c.id * 7919 %% %(spread)s)) AS at
            ) t
            LEFT JOIN campaigns_variant v ON v.campaign_id = %(campaign)s
                AND {bucket} >= v.bucket_from AND {bucket} < v.bucket_to
            """,
            {
                "campaign": r.campaign_id,
                "step": step,
                "assigned": r.args.assigned,
                "end": end,
                "spread": r.args.spread_days * 86400,
            },
        )
        conn.execute(
            """
            INSERT INTO campaigns_message
                (assignment_id, campaign_id, customer_id, variant_id, trigger_ref,
                 triggered_at, priority, status, suppressed_reason, due_at, sent_at,
                 attempts, to_email, subject, offer_code, smtp_message_id, esp_message_id,
                 last_error, created_at, opens, clicks)
            SELECT a.id, a.campaign_id, a.customer_id, a.variant_id, a.trigger_ref,
                   a.triggered_at, 100, 'sent', '', a.assigned_at, a.assigned_at, 1,
                   'k' || a.customer_id || '@example.com', 'Hello', '',
                   '<' || a.id || '@bench>', '', '', a.assigned_at, 0, 0
            FROM campaigns_assignment a WHERE a.variant_id IS NOT NULL
            """
        )
    execute(database, f"VACUUM ANALYZE {', '.join(CAMPAIGN_TABLES)}")


def measure(r: Results) -> None:
    from campaigns.models import ArmResult
    from campaigns.services.results import campaign_results_compute

    for number in range(1, r.args.repeat + 1):
        started = time.perf_counter()
        computation = campaign_results_compute(campaign_id=r.campaign_id)
        r.seconds.append(time.perf_counter() - started)
        say(f"  computation {number}: {r.seconds[-1]:.2f} s; load average {load_average()}")
    r.final, r.srm_p = computation.final, computation.srm_p_value
    r.arms = [
        dict(row)
        for row in ArmResult.objects.filter(computation=computation)
        .order_by("variant_id")
        .values(
            "variant__name",
            "assigned",
            "sent",
            "conversions",
            "revenue",
            "conversion_absolute",
            "conversion_p_value",
        )
    ]
    assigned = sum(arm["assigned"] for arm in r.arms)
    if assigned != r.args.assigned:
        raise SystemExit(f"{assigned:,} assigned in the results, {r.args.assigned:,} written")


def render_section(r: Results) -> str:
    median = statistics.median(r.seconds)
    arms = "; ".join(
        f"{arm['variant__name'] or 'holdout'}: {arm['assigned']:,} assigned, "
        f"{arm['sent']:,} sent, {arm['conversions']:,} converted, revenue {arm['revenue']:,}"
        for arm in r.arms
    )
    load = r.load_seconds
    return "\n".join(
        [
            "## Campaign results",
            "",
            f"Measured {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by "
            f"`benchmarks/campaign_results.py` ({r.args.repeat} computations in one process "
            "with Django set up on the benchmark database, DEBUG off; medians).",
            "",
            machine_line(r.box, r.pg, PG_SETTINGS),
            f"- **Data:** the shop of `benchmarks/clv_recalculation.py`: "
            f"{r.facts['customers']:,} customers, {r.facts['orders']:,} completed orders "
            f"over two years to {r.as_of} (loaded in {sum(load.values()):.0f} s, untimed). "
            f"One campaign, two variants of equal weight and a 10% holdout, "
            f"{r.args.assigned:,} customers assigned by the real hash (every "
            f"{max(1, r.facts['customers'] // r.args.assigned)}th customer, assigned over the "
            f"{r.args.spread_days} days before the as-of day), each variant's message sent.",
            f"- **Result:** {arms}. Final: {'yes' if r.final else 'no'} (windows still open "
            f"make it provisional); sample-ratio p-value {r.srm_p:.3g}.",
            "",
            "| | median s | every computation (s) | target | |",
            "|---|---:|---|---|---|",
            f"| Results of a {r.args.assigned:,}-assigned campaign, computed and stored | "
            f"{median:.2f} | {seconds_list(r.seconds, 2)} | < {TARGET_SECONDS:.0f} s | "
            f"{met(median < TARGET_SECONDS)} |",
            "",
            "What one computation does: one statement reads the campaign's assignments and, "
            "per assignment, the customer's orders in the attribution window (conversion, "
            "revenue net of refunds, day since the assignment) and in the 90 days before it "
            "(the CUPED covariate): one range of the orders' (customer, placed at) index per "
            "assignment, which covers the status and amounts, so the table itself is never "
            "read. numpy "
            "groups the rows by arm and day; numpy and scipy compute the comparisons "
            "(Newcombe, Holm, the sample-ratio check, Welch with a pooled 99th-percentile cap "
            "and CUPED, and a bootstrap interval beside it of 2,000 resamples, 1,000 for arms "
            "as large as these); one aggregate counts the messages per arm and status; one "
            "transaction stores the computation and its arms.",
            "",
            f"Reproduce: `make bench-results`, i.e. `{reproduce_command(r.args)}` (add "
            "`--keep-db`, then `--reuse-db` to skip the load).",
        ]
    )


def reproduce_command(args: argparse.Namespace) -> str:
    options = shop_options(args)
    if args.assigned != 100_000:
        options.append(f"--assigned {args.assigned}")
    return command_line("campaign_results", *options)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = shop_parser((__doc__ or "").split("\n\n")[0], database="clvcrm_bench_results")
    parser.add_argument("--assigned", type=int, default=100_000, help="customers assigned")
    parser.add_argument("--spread-days", type=int, default=60, help="assignments spread over")
    add_redis_argument(parser, db=6, use="broker the activation's tasks are queued to")
    args = shop_args(parser, argv)
    if not 1 <= args.assigned <= args.customers or args.spread_days < 1:
        parser.error("need 1 <= --assigned <= --customers and --spread-days >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    from benchmarks.database import purge_queue

    args = parse_args(argv)
    server = Server(args.server)
    box, pg = machine_announce(server)
    try:
        as_of, facts, load_seconds = prepare_database(args, server, shop_time_zone())
        os.environ["CELERY_BROKER_URL"] = args.redis
        setup_django(server.database_uri(args.database))
        r = Results(args, box, pg, facts, load_seconds, as_of)
        r.campaign_id = campaign_made()
        purge_queue(args.redis)
        say(f"Assigning {args.assigned:,} customers (untimed) ...")
        assignments_write(server.database_url(args.database), r)
        say(f"Computing the results {args.repeat} times ...")
        measure(r)
        box["load_end"] = load_average()
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            server.drop(args.database)
    section_publish(args, SECTION, render_section(r))
    return 1 if args.strict and statistics.median(r.seconds) >= TARGET_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
