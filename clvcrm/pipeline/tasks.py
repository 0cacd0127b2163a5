"""The pipeline's tasks: each runs one step's service, then queues what follows its outcome.

The ``then_*`` functions say what follows each outcome (the diagram is in the package's
docstring); the management commands in ``clvcrm/pipeline/management`` call them too, so a
step run from a terminal is followed as one run by a worker. Like every task here: ids in,
safe to deliver twice (each service claims its work), acks late.
"""

import logging
from datetime import date

from celery import chord, shared_task
from django.conf import settings
from django.db import transaction

from campaigns.services import clv_effects, outbox, recommendations, results
from campaigns.services.triggers import campaign_triggers_run
from campaigns.triggers.step import TriggerOutcome
from clvcrm.core.tasks import enqueue_on_commit
from clvcrm.pipeline import steps
from customers import tasks as customers_tasks
from customers.clv_runs.fan_out import FanOut
from customers.clv_runs.run import ClvRunBusyError
from customers.loyalty.selectors import loyalty_programme_exists
from customers.models import ClvRun, OrderImport
from customers.segments.reassign import SegmentRunError
from customers.services import clv_runs, kpis, loyalty, order_imports, segments, webhooks
from feedback.services import follow_ups
from feedback.services import invitations as survey_invitations

logger = logging.getLogger(__name__)

AFTER_ORDERS = "after_orders"
KPI_AGGREGATES = "kpi_aggregates"


@shared_task(acks_late=True)
def order_import_run(order_import_id: int) -> None:
    """Run an uploaded order import, then what follows it (the service claims the row)."""
    order_import = order_imports.order_import_run(order_import_id=order_import_id)
    if order_import is not None:
        then_order_import(order_import)


@shared_task(acks_late=True)
def webhook_event_process(shop_id: int, delivery_id: str) -> None:
    """Process a shop's stored webhook delivery, then what follows an import (the service
    claims the event: a second delivery of this task does nothing)."""
    processed = webhooks.webhook_event_process(shop_id=shop_id, delivery_id=delivery_id)
    if processed is not None:
        then_webhook_event(processed)


@shared_task(acks_late=True)
def orders_received() -> None:
    """Orders sent to the API added or changed something: what follows them.

    Safe to deliver twice: it only asks for :func:`after_orders_arrived` (once).
    """
    then_orders_arrived()


@shared_task(acks_late=True)
def after_orders_arrived() -> None:
    """What follows orders that came in through the API or webhooks, once for all of a
    while's requests: the loyalty refresh and the campaign results, each when there is
    something for it. A second delivery finds no request and does nothing; a request made
    while this runs queues it once more."""
    if steps.step_start(AFTER_ORDERS):
        then_orders(loyalty=loyalty_programme_exists())


@shared_task(acks_late=True)
def kpi_aggregates_refresh(trigger: str = "") -> None:
    """Recompute the dashboard's aggregates (after a CLV run or an order import).

    Safe to deliver twice: the refresh replaces the tables whole with the same figures.
    """
    kpis.kpi_aggregates_refresh(trigger=trigger)


@shared_task(acks_late=True)
def kpi_aggregates_after_orders() -> None:
    """The dashboard's aggregates after orders from the API or webhooks, once for all of a
    while's requests. A second delivery finds no request and does nothing."""
    if steps.step_start(KPI_AGGREGATES):
        kpis.kpi_aggregates_refresh(trigger="orders")


@shared_task(acks_late=True)
def loyalty_refresh(as_of: str | None = None) -> None:
    """Evaluate tiers and run the points jobs (nightly by beat, and after orders), then the
    campaign triggers: upgrades and downgrade warnings may start campaigns.

    Safe to deliver twice: every step is idempotent for the same date.
    """
    loyalty.loyalty_refresh(as_of=date.fromisoformat(as_of) if as_of else None)
    enqueue_on_commit(campaign_triggers)


@shared_task(acks_late=True)
def clv_recalculate(as_of: str | None = None, triggered_by: str = "schedule") -> int | None:
    """Recalculate every customer's CLV (nightly by beat, or a staff member's request from
    the operations page), then what follows; the run id.

    A run already in progress wins: this delivery logs it and does nothing, so a
    redelivered or overlapping schedule never runs twice at once.
    """
    try:
        recalculation = clv_runs.clv_recalculate(
            as_of=date.fromisoformat(as_of) if as_of else None, triggered_by=triggered_by[:50]
        )
    except ClvRunBusyError as exc:
        logger.warning("CLV recalculation skipped: %s", exc)
        return None
    if recalculation.fan_out is not None:
        then_clv_run_fanned_out(recalculation.fan_out)
    else:
        then_clv_run(recalculation.run)
    return recalculation.run.pk


@shared_task(acks_late=True)
def clv_run_finish(run_id: int) -> None:
    """The fan-out chord's callback: finish the run, then what follows a run."""
    then_clv_run(clv_runs.clv_run_finish(run_id=run_id))


@shared_task(acks_late=True)
def segments_reassign(run_id: int) -> None:
    """Reassign segments after a CLV run (a re-run writes nothing).

    A run replaced by a newer one before this delivery is skipped: the newer run's own
    reassignment follows it. Campaign triggers and NPS invitations will follow here.
    """
    try:
        segments.segments_reassign(run_id=run_id)
    except SegmentRunError as exc:
        logger.warning("segment reassignment skipped: %s", exc)
        return
    enqueue_on_commit(product_affinities_refresh)
    enqueue_on_commit(campaign_triggers)
    enqueue_on_commit(campaign_clv_effects, run_id)


@shared_task(acks_late=True)
def campaign_clv_effects(run_id: int) -> None:
    """Measure, on the run's fresh scores and segments, the effect on customer value of
    each campaign whose attribution window has closed (once per campaign: a second
    delivery finds them measured)."""
    clv_effects.clv_effects_measure(run_id=run_id)


@shared_task(acks_late=True)
def product_affinities_refresh() -> None:
    """Rebuild "customers who bought this also bought" from the orders (after each CLV run,
    nightly), for the campaigns' recommended products. Safe to run twice: it replaces the
    table whole in one transaction."""
    recommendations.product_affinities_refresh()


@shared_task(acks_late=True)
def campaign_results_refresh() -> None:
    """Recompute the results of every campaign whose attribution window is open or closed
    since its last computation (after orders come in, and nightly by beat).

    Safe to deliver twice: a second run stores another computation of the same figures.
    """
    results.campaign_results_refresh()


@shared_task(acks_late=True)
def campaign_triggers() -> None:
    """Turn segment transitions, loyalty events and due broadcasts into assignments and
    pending messages, then start the senders.

    Safe to deliver twice: each source is claimed under a row lock and each event assigns
    once (unique constraints); the sweeper queues it again when events wait (a lost task).
    """
    then_campaign_triggers(campaign_triggers_run())


@shared_task(acks_late=True)
def surveys_invite() -> None:
    """The daily survey step (beat): after-order surveys invite the customers whose
    completed orders are now old enough, periodic surveys that are due invite their
    segment; the invitation emails are queued with the senders.

    Then the promoters who answered a survey with a follow-up email are enrolled in it
    (those the task after each answer missed, e.g. while a broker was down).

    Safe to deliver twice: each survey remembers how far it has invited (orders, next
    send) under its row lock, a send's invitations are unique per customer, and each
    promoter's response is enrolled once.
    """
    survey_invitations.surveys_invite_due()
    follow_ups.promoter_follow_ups_enrol()


# --------------------------------------------------------------------------- what follows


def then_order_import(order_import: OrderImport) -> None:
    """An import that succeeded (not a dry run) → the loyalty refresh, if there are tiers,
    the campaign results, if a campaign's may change, and the dashboard's aggregates.

    New orders may earn points, change tiers and convert campaign recipients. A shop without
    a loyalty programme or campaigns, like the import benchmark's, is not made to credit
    millions of orders after an import.
    """
    if order_import.status == OrderImport.Status.SUCCEEDED and not order_import.dry_run:
        then_orders(loyalty=loyalty_programme_exists())
        enqueue_on_commit(kpi_aggregates_refresh, "import")


def then_orders(*, loyalty: bool) -> None:
    """New orders → the loyalty refresh (if ``loyalty``), and the campaign results when a
    campaign's window is open."""
    if loyalty:
        enqueue_on_commit(loyalty_refresh)
    if results.results_due().exists():
        enqueue_on_commit(campaign_results_refresh)


def then_orders_arrived() -> None:
    """Orders from the API or a webhook → what follows an import, but
    ``PIPELINE_AFTER_ORDERS_SECONDS`` after the first request, once for all the requests
    until it starts (a busy shop sends orders many times a minute; the loyalty refresh
    covers every customer, the results every open campaign); and the dashboard's aggregates
    ``KPI_REFRESH_AFTER_ORDERS_SECONDS`` after the first request, the same way."""
    follows = loyalty_programme_exists() or results.results_due().exists()
    if follows and steps.step_request(AFTER_ORDERS):
        delay = settings.PIPELINE_AFTER_ORDERS_SECONDS
        transaction.on_commit(lambda: after_orders_arrived.apply_async(countdown=delay))
    # The dashboard's refresh reads every order: at most once per its own (longer) delay.
    if steps.step_request(KPI_AGGREGATES):
        kpi_delay = settings.KPI_REFRESH_AFTER_ORDERS_SECONDS
        transaction.on_commit(lambda: kpi_aggregates_after_orders.apply_async(countdown=kpi_delay))


def then_webhook_event(processed: webhooks.WebhookProcessed) -> None:
    """A webhook that added or changed an order → as orders from the API."""
    if processed.changed:
        then_orders_arrived()


def then_campaign_triggers(outcome: TriggerOutcome) -> None:
    """Entrants assigned → the senders (the messages are due at once)."""
    if outcome.assigned:
        outbox.sending_start()


def then_clv_run(run: ClvRun) -> None:
    """A CLV run that succeeded → the segment reassignment for it, and the dashboard's
    aggregates (the run's summary: active customers, CLV averages, the histogram)."""
    if run.status == ClvRun.Status.SUCCEEDED:
        enqueue_on_commit(segments_reassign, run.pk)
        enqueue_on_commit(kpi_aggregates_refresh, "clv_run")


def then_clv_run_fanned_out(fan_out: FanOut) -> None:
    """A fanned-out run → one part task per customer range, then :func:`clv_run_finish`.

    Its parts and stage committed before the service returned, so the tasks find them.
    """
    header = [
        customers_tasks.clv_run_part_score.si(part_id, fan_out.breakpoints)
        for part_id in fan_out.part_ids
    ]
    chord(header)(clv_run_finish.si(fan_out.run_id))
