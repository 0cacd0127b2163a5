"""The campaign benchmark's section of ``docs/benchmarks.md``."""

import statistics
import time
from datetime import datetime
from typing import TYPE_CHECKING

from benchmarks.campaign_processes import SinkFigures
from benchmarks.report import command_line, machine_line, met, seconds_list

if TYPE_CHECKING:
    from benchmarks.campaign_send import Results

PG_SETTINGS = ("shared_buffers", "work_mem", "synchronous_commit")
TRIGGER_TARGET_S = 5.0
RATE_TARGET = 300.0
SHARE_TARGET = 0.5


def targets_met(r: "Results") -> dict[str, bool]:
    trigger = statistics.median(r.trigger)
    rate = r.send.rate if r.send else 0.0
    floor = r.floor.rate if r.floor else 0.0
    return {
        "trigger": trigger < TRIGGER_TARGET_S,
        "rate": rate >= RATE_TARGET,
        "share": floor > 0 and rate >= SHARE_TARGET * floor,
    }


def render_section(r: "Results", broken: list[str]) -> str:
    args = r.args
    ok = targets_met(r)
    trigger = statistics.median(r.trigger)
    send, floor, lat = r.send, r.floor, r.latency
    assert send is not None
    assert floor is not None
    share = send.rate / floor.rate if floor.rate else 0.0
    minutes = (time.monotonic() - r.started) / 60
    sent = r.send_statuses.get("sent", 0)
    others = {k: v for k, v in r.send_statuses.items() if k != "sent"}
    lines = [
        "## Retention campaigns: trigger step and sending",
        "",
        f"Measured {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by "
        f"`benchmarks/campaign_send.py` (the whole benchmark took {minutes:.0f} min).",
        "",
        machine_line(r.box, r.pg, PG_SETTINGS),
        f"- **Data:** {args.customers:,} customers with an email address and marketing "
        f"consent, loaded with binary `COPY` ({r.load_seconds:.1f} s, untimed); each in "
        "`at_risk` with a pending segment transition into it, as a reassignment leaves "
        "them. One active `segment_entered` campaign on `at_risk` made through the "
        f"services: two variants of equal weight (subject, text and HTML bodies with the "
        f"first name and two links), {args.holdout}% holdout.",
        f"- **Trigger step:** `campaign_triggers_run()` in the benchmark's process (Django "
        f"on the benchmark database, DEBUG off), {args.repeat} rounds; before each the "
        "campaign tables are emptied, the transitions made pending again, then `VACUUM "
        f"ANALYZE` and `CHECKPOINT` (untimed). It assigned {r.assigned:,} entrants "
        f"({r.holdout:,} to the holdout) and queued {r.pending:,} messages.",
        f"- **Sending:** the last round's {r.pending:,} messages, sent by {args.workers} "
        "real worker processes (`celery -A clvcrm worker -Q email --pool=solo`, production "
        "settings, Redis broker, `EMAIL_URL=smtp://127.0.0.1:PORT`) started by the app's "
        "`sending_start()`: each task claims batches of `CAMPAIGN_SEND_BATCH` (200) with "
        "`FOR UPDATE SKIP LOCKED`, renders them, sends them over one SMTP connection and "
        "marks each message sent in its own commit. The sink is an aiosmtpd server in a "
        "process of its own that answers 250 at once and keeps only counts, recipients and "
        "the times of the first and last message; emails per second run from the first "
        "message it accepted to the last. The floor, in the same run and to a sink of the "
        f"same kind: a bare `smtplib` loop sending {args.floor_messages:,} times one of the "
        "campaign's emails, made by the outbox's own code before the send "
        f"({floor.bytes / max(floor.accepted, 1):,.0f} bytes; the campaign's averaged "
        f"{send.bytes / max(send.accepted, 1):,.0f}), over one connection, "
        f"{_rounds(len(r.floors))} before the send, each to a sink of its own; the "
        "floor is the median round.",
        "",
        "| | figure | target | |",
        "|---|---:|---|---|",
        f"| Trigger step, {args.customers:,} entrants (median s; every round "
        f"{seconds_list(r.trigger, 2)}) | {trigger:.2f} s | < {TRIGGER_TARGET_S:.0f} s | "
        f"{met(ok['trigger'])} |",
        f"| Campaign sent by {args.workers} workers: {send.accepted:,} emails in "
        f"{send.seconds:.1f} s | {send.rate:,.0f}/s | ≥ {RATE_TARGET:.0f}/s | {met(ok['rate'])} |",
        f"| Bare `smtplib` loop, one connection: {floor.accepted:,} emails, median round "
        f"{floor.seconds:.1f} s (every round {rates_list(r.floors)}) | {floor.rate:,.0f}/s "
        "| | |",
        f"| Campaign rate / bare rate | {share:.0%} | ≥ {SHARE_TARGET:.0%} | {met(ok['share'])} |",
    ]
    if lat:
        sink = lat["sink"]
        lines.append(
            f"| Reassignment's commit → first email at the sink ({lat['into_at_risk']:,} "
            f"customers into `at_risk`) | {sink.first - lat['committed']:.2f} s | — | |"
        )
    lines += [
        "",
        f"After the send: {sent:,} messages `sent`"
        + (f", {others}" if others else ", none in any other state")
        + f"; the sink accepted {send.accepted:,} for {send.recipients:,} distinct "
        f"recipients ({send.duplicates} duplicates) over {send.connections:,} connections "
        f"(one per batch). Expected: {r.assigned - r.holdout:,} = {r.assigned:,} entrants "
        f"less {r.holdout:,} in the holdout.",
    ]
    if r.send_cpu:
        lines += ["", cpu_text(r)]
    lines += ["", LIMITS]
    if lat:
        lines += ["", latency_text(lat)]
    if broken:
        lines += ["", "**Checks failed:** " + "; ".join(broken) + "."]
    lines += [
        "",
        "Reproduce (`make bench-campaigns`; PostgreSQL you may create databases on, Redis; "
        "the database is dropped at the end unless `--keep-db`):",
        "",
        "```sh",
        command_line("campaign_send", *reproduce_options(args)),
        "```",
    ]
    return "\n".join(lines)


LIMITS = (
    "**What bounds these figures.** The trigger step writes, per entrant, an assignment and "
    "a message (with their indexes) after computing the bucket by `md5` in SQL, once per "
    "entrant, in one statement per batch of 20,000: set-based, but row work that grows with "
    "the entrants. The bare loop pays only the SMTP dialogue (MAIL, RCPT, DATA and the "
    "body: four round trips to the sink per message), two processes taking turns on one "
    "connection. A sender pays it too, and per message besides: rendering the variant's "
    "three templates for the customer, rewriting its links for tracking, Django's MIME "
    "rendering of the email, and one statement (one round trip) that commits the previous "
    "message's mark and checks this one (campaign still active, customer still subscribed; "
    "each mark its own commit, for the resend window of one message, not waiting for the "
    "WAL flush); per batch of 200, the claim (one locked query of the facts), the "
    "recipients' data, the batch's campaigns and variants read once each, and one "
    "statement storing what was made. With two workers, the sink and PostgreSQL sharing "
    "two cores, the send is bound by the CPU it costs in all of them together and by the "
    "handoffs between them (a worker waits while the sink or the database works on its "
    "message, and the one sink serves both workers); the load average above says how "
    "much of the cores other work took."
)


def cpu_text(r: "Results") -> str:
    send = r.send
    assert send is not None
    per = 1000 / max(send.accepted, 1)
    workers, sink = r.send_cpu["workers"], r.send_cpu["sink"]
    database = r.send_cpu.get("postgres", 0.0)
    return (
        f"CPU while sending: the {r.args.workers} workers {workers:.0f} s "
        f"({workers * per:.2f} ms per email), the sink {sink:.0f} s ({sink * per:.2f} ms "
        f"per email), PostgreSQL {database:.0f} s ({database * per:.2f} ms per email: its "
        "processes on this machine, background ones included). Over "
        f"{send.seconds:.0f} s of sending, 2 cores offer {2 * send.seconds:.0f} CPU "
        f"seconds.{_half_rate_budget(r)}"
    )


def rates_list(rounds: list[SinkFigures]) -> str:
    """Each round's rate, in the order run: ``1,406/s · 1,398/s · 1,431/s``."""
    return " · ".join(f"{figures.rate:,.0f}/s" for figures in rounds)


def _rounds(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _half_rate_budget(r: "Results") -> str:
    """What half the bare rate would leave each email (the CPU budget the ratio target
    sets), and how much of the two cores the send kept busy."""
    if r.floor is None or r.send is None or not r.floor.rate:
        return ""
    half = r.floor.rate / 2
    budget = 2000 / half  # ms of CPU per email on 2 cores, every process together
    spent = 1000 * sum(r.send_cpu.values()) / max(r.send.accepted, 1)
    busy = r.send.rate * spent / 1000  # cores' worth of CPU the send used
    own = 1000 * r.send_cpu["workers"] / max(r.send.accepted, 1)
    return (
        f" Half the bare rate, {half:,.0f}/s, leaves each email {budget:.2f} ms of CPU on "
        f"2 cores for every process together; the workers, the sink and PostgreSQL spent "
        f"{spent:.2f} ms, and kept {busy:.2f} of the 2 cores busy. Each worker has one "
        "message in flight at a time (one SMTP connection, one commit per message: what "
        "keeps a kill to one duplicate) and waits while the sink and PostgreSQL work on "
        f"it: a worker took {1000 * r.args.workers / max(r.send.rate, 1):.2f} ms per "
        f"email, {own:.2f} ms of it its own CPU."
    )


def latency_text(lat: dict) -> str:
    sink = lat["sink"]
    committed = lat["committed"]
    return (
        "**Reassignment to first email**, how it is measured: every customer is scored for "
        "a first CLV run and segmented (untimed; the transitions into high and low value "
        f"taken by the trigger step, no campaign's). A second run's scores drop "
        f"{lat['into_at_risk']:,} valuable customers' P(alive) to 0.3. With "
        f"{lat['workers']} email workers and one worker on the default queue "
        "running, the benchmark queues the pipeline's task "
        "`clvcrm.pipeline.tasks.segments_reassign` for the second run; the worker "
        "reassigns every customer (the real `segments_reassign`, "
        f"{lat['transitions']:,} transitions, {lat['committed'] - lat['started']:.2f} s), "
        "commits, and queues the trigger step on commit; the trigger step queues the "
        "senders. The commit's time is the reassignment record's `finished_at`, written "
        "by the worker as the transaction's last statement (a connection polling every "
        f"5 ms first saw the record {lat['visible'] - committed:.3f} s later); the first "
        "email's time is when the sink accepted it (both wall clock, one machine). "
        f"From the commit: trigger step's assignments at +{lat['assigned_at'] - committed:.2f} "
        f"s, first message marked sent at +{lat['first_sent_at'] - committed:.2f} s, first "
        f"email at the sink at **+{sink.first - committed:.2f} s**. All "
        f"{sink.accepted:,} emails ({lat['assigned']:,} assigned less {lat['holdout']:,} "
        f"holdout; {sink.duplicates} duplicates) were accepted by "
        f"+{sink.last - committed:.1f} s ({sink.rate:,.0f}/s)."
    )


def reproduce_options(args: object) -> list[str]:
    options = []
    defaults = {
        "customers": 100_000,
        "repeat": 3,
        "workers": 2,
        "floor_messages": 20_000,
        "floor_rounds": 3,
        "entrants": 10_000,
    }
    for name, default in defaults.items():
        value = getattr(args, name)
        if value != default:
            options.append(f"--{name.replace('_', '-')} {value}")
    return options
