"""Benchmark a retention campaign on PostgreSQL and Redis: trigger step, sending, latency.

What is measured (issue 12, "Benchmark"):

* **Trigger step**: ``campaigns.services.triggers.campaign_triggers_run`` in this process
  for ``--customers`` (100,000) pending segment transitions into ``at_risk`` and one
  active ``segment_entered`` campaign (two variants, 10 % holdout): every entrant gets an
  assignment, every variant's one a pending message. ``--repeat`` rounds, the campaign
  tables emptied and the transitions made pending again between them; medians.
* **Sending**: the last round's messages sent by ``--workers`` real Celery worker
  processes on the ``email`` queue (``celery -A clvcrm worker -Q email --pool=solo``,
  production settings, Redis broker, ``EMAIL_URL`` at the sink), started by the app's own
  ``sending_start``; emails per second from the first to the last the sink accepted. The
  floor, in the same run: a bare ``smtplib`` loop over one connection to a sink of the
  same kind, ``--floor-messages`` messages of the campaign's size, ``--floor-rounds``
  times (each to a sink of its own) before the send; the median round is the floor. At
  the end exactly the non-holdout entrants must be ``sent`` and the sink must have
  accepted exactly as many.
* **Reassignment to first email**: scores for a new CLV run move ``--entrants`` valuable
  customers into ``at_risk``; the pipeline's ``segments_reassign`` task is queued to a
  worker on the default queue (with the email workers running) and the time from the
  reassignment's commit to the first message the sink accepts is measured.

The SMTP sink (``benchmarks.smtp_sink``) runs in a process of its own and keeps no body.

Usage::

    .venv/bin/python -m benchmarks.campaign_send [--customers 100000] [--repeat 3]
        [--workers 2] [--floor-messages 20000] [--floor-rounds 3] [--entrants 10000]
        [--no-doc]
"""

import argparse
import os
import secrets
import smtplib
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.campaign_data import (
    campaign_create,
    clv_run_made,
    customers_load,
    entrants_write,
    scores_slip,
    scores_write,
    segments_clear,
    trigger_round_reset,
)
from benchmarks.campaign_processes import (
    SinkFigures,
    celery_workers,
    cpu_seconds,
    postgres_cpu_seconds,
    queues_purge,
    smtp_sink,
)
from benchmarks.database import (
    BenchmarkError,
    Server,
    add_redis_argument,
    add_server_arguments,
    django_env,
    migrate,
    setup_django,
)
from benchmarks.report import (
    add_report_arguments,
    failure_say,
    load_average,
    machine_announce,
    say,
    section_publish,
    workdir_release,
)

SECTION = "campaign_send"
QUEUES = ("celery", "email")
POLL_S = 0.5
COMMIT_POLL_S = 0.005


@dataclass
class Results:
    args: argparse.Namespace
    box: dict[str, str]
    pg: dict[str, str]
    load_seconds: float = 0.0
    trigger: list[float] = field(default_factory=list)
    assigned: int = 0
    holdout: int = 0
    pending: int = 0
    floors: list[SinkFigures] = field(default_factory=list)  # the bare loop's rounds
    send: SinkFigures | None = None
    send_statuses: dict[str, int] = field(default_factory=dict)
    send_cpu: dict[str, float] = field(default_factory=dict)  # seconds: workers, sink
    latency: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    @property
    def floor(self) -> SinkFigures | None:
        """The bare loop's round of median rate, the slower middle one of an even number
        (the machine is shared: one round can be slowed, or spared, by other work)."""
        if not self.floors:
            return None
        return sorted(self.floors, key=lambda figures: figures.rate)[(len(self.floors) - 1) // 2]


class Bench:
    """The run's database, broker, environment of the workers and working directory."""

    def __init__(self, args: argparse.Namespace, server: Server, workdir: Path) -> None:
        self.args = args
        self.database = server.database_url(args.database)
        self.database_uri = server.database_uri(args.database)
        self.workdir = workdir
        self.campaign_id = 0

    def worker_env(self, email_url: str) -> dict[str, str]:
        """The workers run as in production: its settings, Redis, SMTP at ``email_url``."""
        return {
            **django_env(self.database_uri),
            "DJANGO_SETTINGS_MODULE": "clvcrm.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "http://127.0.0.1",
            "CACHE_URL": self.args.redis,
            "CELERY_BROKER_URL": self.args.redis,
            "EMAIL_URL": email_url,
            "CAMPAIGN_SEND_PARALLELISM": str(self.args.workers),
            "CAMPAIGN_GLOBAL_CONTROL_PERCENT": "0",
        }

    def statuses(self, since_id: int = 0) -> dict[str, int]:
        from django.db.models import Count

        from campaigns.models import Message

        rows = (
            Message.objects.filter(campaign_id=self.campaign_id, pk__gt=since_id)
            .values("status")
            .annotate(n=Count("id"))
        )
        return {row["status"]: row["n"] for row in rows}


# --------------------------------------------------------------------------- trigger step


def trigger_rounds(r: Results, bench: Bench) -> None:
    """The trigger step, ``--repeat`` times from the same pending transitions."""
    from campaigns.models import Assignment
    from campaigns.services.triggers import campaign_triggers_run

    for number in range(1, r.args.repeat + 1):
        trigger_round_reset(bench.database)
        started = time.perf_counter()
        outcome = campaign_triggers_run()
        r.trigger.append(time.perf_counter() - started)
        if outcome.transitions != r.args.customers or outcome.assigned != r.args.customers:
            raise BenchmarkError(f"trigger step round {number}: {outcome}")
        say(
            f"  round {number}: {r.trigger[-1]:.2f} s ({outcome.assigned:,} assigned); "
            f"load average {load_average()}"
        )
    r.assigned = outcome.assigned
    r.holdout = Assignment.objects.filter(campaign_id=bench.campaign_id, variant=None).count()
    r.pending = bench.statuses().get("pending", 0)
    if r.pending != r.assigned - r.holdout:
        raise BenchmarkError(f"{r.pending} pending messages for {r.assigned - r.holdout} entrants")


# --------------------------------------------------------------------------- sending


def floor_payload(campaign_id: int) -> tuple[str, bytes]:
    """The sender and the bytes of one of the campaign's emails, exactly as the outbox makes
    it (rendered for its customer, links tracked, footer and pixel, unsubscribe headers,
    MIME): the bare loop sends the same email, without the work of making it."""
    from django.core.mail.message import sanitize_address

    from campaigns.content.render import Recipient, contexts_build
    from campaigns.models import Message
    from campaigns.outbox.claim import Claimed
    from campaigns.outbox.prepare import email_make

    message = (
        Message.objects.filter(campaign_id=campaign_id, status="pending")
        .select_related("campaign", "variant", "customer")
        .order_by("id")
        .first()
    )
    if message is None:
        raise BenchmarkError("no pending message to measure the floor with")
    recipient = Recipient(message.pk, message.customer_id)
    context = contexts_build(campaign=message.campaign, recipients=[recipient])[message.pk]
    claimed = Claimed(message.pk, message.customer_id, message.customer.email, "")
    email, _ = email_make(message, claimed, context)
    sender = sanitize_address(email.from_email, "utf-8")
    return sender, email.message().as_bytes(linesep="\r\n")


def floor_send(port: int, count: int, sender: str, payload: bytes) -> None:
    """The floor: ``count`` messages over one connection, one after the other."""
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for number in range(count):
            smtp.sendmail(sender, [f"floor{number}@example.com"], payload)


def send_phase(r: Results, bench: Bench) -> None:
    """The floor, then the campaign's pending messages through the real workers."""
    from campaigns.services.outbox import sending_start

    args = bench.args
    sender, payload = floor_payload(bench.campaign_id)
    for number in range(args.floor_rounds):
        say(f"Floor {number + 1}: {args.floor_messages:,} messages by a bare smtplib loop ...")
        with smtp_sink(bench.workdir, f"sink-floor-{number}") as sink:
            floor_send(sink.port, args.floor_messages, sender, payload)
        if sink.figures is None or not sink.figures.rate:
            raise BenchmarkError("the bare loop's sink counted no message")
        r.floors.append(sink.figures)
        say(f"  {sink.figures.rate:,.0f}/s")
    purged = queues_purge(args.redis, QUEUES)
    say(f"Sending {r.pending:,} messages with {args.workers} workers (purged {purged}) ...")
    with smtp_sink(bench.workdir, "sink-campaign") as sink:
        env = bench.worker_env(sink.url)
        with celery_workers(env, bench.workdir, ["email"] * args.workers) as workers:
            pids = [worker.pid for worker in workers]
            before = cpu_seconds(pids), cpu_seconds([sink.pid]), postgres_cpu_seconds()
            sending_start()  # outside a transaction: queued at once, one task per worker
            wait_drained(bench, since_id=0, timeout=args.timeout)
            r.send_cpu = {
                "workers": cpu_seconds(pids) - before[0],
                "sink": cpu_seconds([sink.pid]) - before[1],
                "postgres": postgres_cpu_seconds() - before[2],
            }
    r.send = sink.figures
    r.send_statuses = bench.statuses()


def wait_drained(bench: Bench, *, since_id: int, timeout: float) -> None:
    """Until none of the campaign's messages (past ``since_id``) is pending or sending."""
    from campaigns.models import Message

    # The poll asks only whether any is left (a short index range): counting every status
    # twice a second cost the database more than a worker's share of the send.
    waiting = Message.objects.filter(
        campaign_id=bench.campaign_id, pk__gt=since_id, status__in=["pending", "sending"]
    )
    deadline = time.monotonic() + timeout
    said = time.monotonic()
    while waiting.exists():
        if time.monotonic() > deadline:
            raise BenchmarkError(
                f"still {waiting.count():,} messages to send after {timeout:.0f} s"
            )
        if time.monotonic() - said >= 10:
            said = time.monotonic()
            say(f"  {bench.statuses(since_id)}; load average {load_average()}")
        time.sleep(POLL_S)


# --------------------------------------------------------------------------- latency


def latency_phase(r: Results, bench: Bench) -> None:
    """From the commit of a real reassignment, run by the pipeline's task, to the first
    email at the sink: the trigger step and the senders follow it through the broker."""
    from django.db.models import Min

    from campaigns.models import Assignment, Message
    from campaigns.services.triggers import campaign_triggers_run
    from clvcrm.pipeline.tasks import segments_reassign as segments_reassign_task
    from customers.models import SegmentReassignment, SegmentTransition
    from customers.services.segments import segments_reassign

    args = bench.args
    as_of = date.today() - timedelta(days=1)
    say("Scoring every customer for a first CLV run and segmenting it (untimed) ...")
    segments_clear(bench.database)
    first_run = clv_run_made(as_of)
    scores_write(bench.database, run_id=first_run, as_of=as_of)
    first = segments_reassign(run_id=first_run)
    settled = campaign_triggers_run()  # into high and low value: no campaign's segment
    say(f"  {first.transitions:,} transitions, {settled.assigned} assigned")
    run_id = clv_run_made(as_of)
    scores_slip(bench.database, run_id=run_id, count=args.entrants)
    last_message = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
    last_assignment = Assignment.objects.order_by("-id").values_list("id", flat=True).first() or 0
    purged = queues_purge(args.redis, QUEUES)
    say(f"Reassigning run {run_id} through the pipeline with workers running (purged {purged}) ...")
    with smtp_sink(bench.workdir, "sink-latency") as sink:
        env = bench.worker_env(sink.url)
        queues = ["email"] * args.workers + ["celery"]
        with (
            celery_workers(env, bench.workdir, queues),
            psycopg.connect(bench.database, autocommit=True) as conn,
        ):
            queued = time.time()
            segments_reassign_task.delay(run_id)
            visible = commit_seen(conn, run_id, timeout=args.timeout)
            deadline = time.monotonic() + args.timeout
            while SegmentTransition.objects.filter(processed_at=None).exists():
                if time.monotonic() > deadline:
                    raise BenchmarkError("the trigger step did not take the transitions")
                time.sleep(POLL_S)
            wait_drained(bench, since_id=last_message, timeout=args.timeout)
    record = SegmentReassignment.objects.get(run_id=run_id)
    new_assignments = Assignment.objects.filter(pk__gt=last_assignment)
    new_messages = Message.objects.filter(pk__gt=last_message)
    figures = sink.figures
    assert figures is not None
    committed = record.finished_at.timestamp()
    r.latency = {
        "run": run_id,
        "workers": args.workers,
        "queued": queued,
        "started": committed - record.seconds,
        "committed": committed,
        "visible": visible,
        "transitions": record.transitions,
        "into_at_risk": SegmentTransition.objects.filter(
            run_id=run_id, to_segment__code="at_risk"
        ).count(),
        "assigned_at": new_assignments.aggregate(first=Min("assigned_at"))["first"].timestamp(),
        "assigned": new_assignments.count(),
        "holdout": new_assignments.filter(variant=None).count(),
        "first_sent_at": new_messages.aggregate(first=Min("sent_at"))["first"].timestamp(),
        "statuses": bench.statuses(last_message),
        "sink": figures,
    }


def commit_seen(conn: psycopg.Connection[Any], run_id: int, *, timeout: float) -> float:
    """When this connection first sees the reassignment's record (written in its
    transaction, so visible from its commit): polled every few milliseconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT 1 FROM customers_segmentreassignment WHERE run_id = %s", [run_id]
        ).fetchone()
        if row:
            return time.time()
        time.sleep(COMMIT_POLL_S)
    raise BenchmarkError(f"the reassignment of run {run_id} did not commit in {timeout:.0f} s")


# --------------------------------------------------------------------------- checks


def checks(r: Results) -> list[str]:
    """What must hold after the sends; each broken rule, in words (empty: all held)."""
    broken: list[str] = []
    expected = r.assigned - r.holdout
    sent = r.send_statuses.get("sent", 0)
    if r.send is None or sent != expected or r.send.accepted != expected:
        accepted = r.send.accepted if r.send else 0
        broken.append(f"campaign: {expected:,} expected, {sent:,} sent, sink {accepted:,}")
    elif r.send.duplicates:
        broken.append(f"campaign: the sink received {r.send.duplicates} duplicates")
    lat = r.latency
    if lat:
        expected = lat["assigned"] - lat["holdout"]
        sent, sink = lat["statuses"].get("sent", 0), lat["sink"]
        if sent != expected or sink.accepted != expected or sink.duplicates:
            broken.append(
                f"reassignment: {expected:,} expected, {sent:,} sent, sink {sink.accepted:,} "
                f"({sink.duplicates} duplicates)"
            )
    return broken


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000, help="entrants")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the trigger step")
    parser.add_argument("--holdout", default="10", help="holdout percent")
    parser.add_argument("--workers", type=int, default=2, help="email worker processes")
    parser.add_argument("--floor-messages", type=int, default=20_000)
    parser.add_argument("--floor-rounds", type=int, default=3, help="bare loops; median")
    parser.add_argument("--entrants", type=int, default=10_000, help="moved by the reassignment")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per wait")
    add_redis_argument(parser, db=6, use="broker; its celery and email queues are purged")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--keep-files", action="store_true", help="keep logs and figures")
    add_server_arguments(parser, database="clvcrm_bench_campaigns")
    add_report_arguments(parser)
    args = parser.parse_args(argv)
    if min(args.customers, args.repeat, args.workers, args.floor_rounds) < 1:
        parser.error("need --customers, --repeat, --workers and --floor-rounds of at least 1")
    if not 1 <= args.entrants <= args.customers // 2:
        parser.error("need 1 <= --entrants <= --customers / 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    from benchmarks.campaign_report import render_section, targets_met

    args = parse_args(argv)
    server = Server(args.server)
    box, pg = machine_announce(server)
    r = Results(args, box, pg)
    workdir = Path(tempfile.mkdtemp(prefix="clvcrm-bench-campaigns-"))
    bench = Bench(args, server, workdir)
    failed = False
    try:
        say(f"Creating {args.database}, migrating; loading {args.customers:,} customers ...")
        server.recreate(args.database)
        migrate(bench.database_uri)
        # The app in this process queues its tasks to the benchmark's Redis, not in-process.
        os.environ["CELERY_BROKER_URL"] = args.redis
        # Every entrant is in the experiment: no global control group (the demo sets one).
        os.environ["CAMPAIGN_GLOBAL_CONTROL_PERCENT"] = "0"
        setup_django(bench.database_uri)
        r.load_seconds = customers_load(bench.database, args.customers)
        campaign = campaign_create("at_risk", args.holdout)
        bench.campaign_id = campaign.pk
        entrants_write(
            bench.database,
            segment_id=campaign.segment_id,
            run_id=clv_run_made(date.today() - timedelta(days=1)),
            at=time_now(),
        )
        say(f"Trigger step for {args.customers:,} entrants, {args.repeat} rounds ...")
        trigger_rounds(r, bench)
        send_phase(r, bench)
        latency_phase(r, bench)
        box["load_end"] = load_average()
    except BenchmarkError as failure:
        failed = True
        failure_say(failure, workdir, args.database)
    finally:
        from django.db import connections

        connections.close_all()
        queues_purge(args.redis, QUEUES)
        if not failed and not args.keep_db:
            server.drop(args.database)
        workdir_release(workdir, keep=failed or args.keep_files)
    if failed:
        return 2
    broken = checks(r)
    section_publish(args, SECTION, render_section(r, broken))
    if broken:
        say("CHECKS FAILED: " + "; ".join(broken))
        return 2
    return 1 if args.strict and not all(targets_met(r).values()) else 0


def time_now() -> Any:
    from django.utils import timezone

    return timezone.now()


if __name__ == "__main__":
    sys.exit(main())
