"""The customers app's services: every write, by tasks, commands, pages and the API.

Each service is a ``<noun>_<verb>`` function with keyword-only arguments that owns its
transaction (or its claim) and returns its outcome; the work itself is in the feature
packages (``customers/__init__.py`` says how the app is laid out). What follows a
service's outcome across steps and apps (the loyalty refresh after an import, the segments
after a CLV run) is decided by the project's pipeline, ``clvcrm.pipeline``, never here.
"""

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from clvcrm.core.tasks import enqueue_on_commit
from customers.clv_runs import backtest, fan_out
from customers.clv_runs.fan_out import Breakpoints, FanOut
from customers.clv_runs.run import default_settings, run_execute, run_start
from customers.integrations import shopify, woocommerce
from customers.integrations.payloads import MappedOrder, PayloadError, parse
from customers.integrations.signatures import shop_key, signature_valid
from customers.loyalty.ledger import points_change
from customers.loyalty.points import PointsRun, points_earn, points_expire, points_reverse
from customers.loyalty.tiers import TierEvaluation, tiers_evaluate
from customers.models import (
    AcquisitionChannel,
    ClvBacktest,
    ClvRun,
    ColumnMapping,
    ConnectedShop,
    Customer,
    Order,
    OrderImport,
    PointsEntry,
    Segment,
    ShopRefund,
    WebhookEvent,
)
from customers.order_import import importer, retention
from customers.order_import.errors import ImportFileError
from customers.order_import.formats.mapped import header_key
from customers.order_import.importer import ImportSummary, OnReport
from customers.order_import.rows import unreadable
from customers.segments import custom, outbox
from customers.segments.reassign import Reassignment, reassign_run

__all__ = [
    "ClvRecalculation",
    "CustomerConflictError",
    "LoyaltyRefresh",
    "WebhookProcessed",
    "clv_backtest",
    "clv_recalculate",
    "clv_run_finish",
    "clv_run_part_score",
    "custom_segment_save",
    "customer_create",
    "customer_update",
    "loyalty_refresh",
    "loyalty_tiers_evaluate",
    "order_import_files_expire",
    "order_import_finish",
    "order_import_map_columns",
    "order_import_run",
    "order_import_start",
    "orders_import",
    "orders_import_records",
    "points_adjust",
    "points_redeem",
    "segment_transition_mark_processed",
    "segments_reassign",
    "webhook_event_process",
    "webhook_receive",
]

# The pipeline's task that runs an uploaded import and what follows it. This app may not
# import the project's pipeline (it composes the apps), so the upload queues it by name.
ORDER_IMPORT_RUN_TASK = "clvcrm.pipeline.tasks.order_import_run"
# The pipeline's task that imports a shop webhook's order and queues what follows it.
WEBHOOK_EVENT_PROCESS_TASK = "clvcrm.pipeline.tasks.webhook_event_process"


# --------------------------------------------------------------------------- customers

# What a client may write of a customer (the API): the shop's details, never the scores,
# segment, tier or points (computed), nor ``unsubscribed_at`` (recorded by unsubscribing).
CUSTOMER_DETAILS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "country",
    "channel",
    "marketing_consent",
    "birthday",
)


class CustomerConflictError(Exception):
    """Another customer already has this ``field`` (external id, or email in any case)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _customer_conflict(customer: Customer) -> CustomerConflictError | None:
    others = Customer.objects.exclude(pk=customer.pk) if customer.pk else Customer.objects.all()
    if others.filter(external_id=customer.external_id).exists():
        return CustomerConflictError("external_id", "Another customer already has this id.")
    if customer.email and others.filter(email__iexact=customer.email).exists():
        return CustomerConflictError("email", "Another customer already has this email address.")
    return None


def _customer_set(customer: Customer, details: Mapping[str, object]) -> None:
    unknown = set(details) - set(CUSTOMER_DETAILS)
    if unknown:
        raise TypeError(f"not writable: {sorted(unknown)}")
    for name, value in details.items():
        if name == "channel":
            customer.acquisition_channel = (
                AcquisitionChannel.objects.get_or_create(name=value)[0] if value else None
            )
        else:
            setattr(customer, name, value)


def _customer_save(customer: Customer, update_fields: list[str] | None = None) -> Customer:
    conflict = _customer_conflict(customer)
    if conflict is not None:
        raise conflict
    try:
        with transaction.atomic():
            customer.save(update_fields=update_fields)
    except IntegrityError:  # the same id or email written at the same moment
        conflict = _customer_conflict(customer)
        if conflict is None:
            raise
        raise conflict from None
    return customer


def customer_create(*, external_id: str, **details: object) -> Customer:
    """A new customer with the given details (``CUSTOMER_DETAILS``; ``channel`` by name,
    made if new, as the order import makes it); :class:`CustomerConflictError` when the id
    or the email (in any case) is another customer's."""
    customer = Customer(external_id=external_id)
    _customer_set(customer, details)
    return _customer_save(customer)


def customer_update(*, customer: Customer, **details: object) -> Customer:
    """Change the given details of ``customer``; only their columns are written, so a
    concurrent change of another detail is kept."""
    _customer_set(customer, details)
    columns = ["acquisition_channel" if name == "channel" else name for name in details]
    return _customer_save(customer, [*columns, "updated_at"])


# --------------------------------------------------------------------------- order import


def orders_import(
    *,
    path: Path,
    dry_run: bool = False,
    order_import: OrderImport | None = None,
    on_rejection: OnReport | None = None,
    on_warning: OnReport | None = None,
    on_progress: Callable[[int], None] | None = None,
    batch_rows: int | None = None,
) -> ImportSummary:
    """Import the orders CSV at ``path`` (the format: README, "Importing orders").

    Refuses an unreadable file with :class:`ImportFileError` before writing anything: the
    only way it fails for the file's sake; a row it cannot use is rejected, alone or with
    its order, and every other row goes in. Batches commit one by one (a first import on
    PostgreSQL all at once); a dry run is the same import rolled back, so it counts
    exactly what the import would do. Importing the same file again creates nothing.
    Rejected rows go to ``on_rejection``, rows imported with a warning to ``on_warning``
    (and, with ``order_import``, both are stored with it); ``on_progress`` gets the bytes
    read so far. See :func:`customers.order_import.importer.import_file`.
    """
    return importer.import_file(
        path=path,
        dry_run=dry_run,
        order_import=order_import,
        on_rejection=on_rejection,
        on_warning=on_warning,
        on_progress=on_progress,
        batch_rows=batch_rows,
    )


def orders_import_records(
    *,
    records: Iterable[Mapping[str, object]],
    dry_run: bool = False,
    order_import: OrderImport | None = None,
    on_rejection: OnReport | None = None,
    on_warning: OnReport | None = None,
    batch_rows: int | None = None,
) -> ImportSummary:
    """Import orders given as records (the REST API's and webhooks' way), as a file would.

    Each record maps the CSV format's column names to the cell's text; rows of one order
    are consecutive records. The same checks, rejections, warnings and writes as
    :func:`orders_import`; report rows number the records from 1.
    """
    return importer.import_records(
        records=records,
        dry_run=dry_run,
        order_import=order_import,
        on_rejection=on_rejection,
        on_warning=on_warning,
        batch_rows=batch_rows,
    )


def order_import_start(*, order_import: OrderImport) -> None:
    """Queue the import of an uploaded file; it runs after the upload's transaction commits.

    The pipeline's task runs it (:func:`order_import_run`) and then what follows an import.
    """
    enqueue_on_commit(ORDER_IMPORT_RUN_TASK, order_import.pk)


def order_import_map_columns(
    *,
    order_import: OrderImport,
    header: list[str],
    columns: dict[str, str],
    user: User | None = None,
) -> ColumnMapping:
    """Remember which of the file's columns gives each clvcrm column, for this file's
    ``header`` and every later file with the same one, then import the file again.

    ``columns`` maps clvcrm columns to the file's (as written; empty: not in the file).
    The import, failed for its missing columns, goes back to pending and is queued.
    """
    chosen = {column: name for column, name in columns.items() if name}
    with transaction.atomic():
        mapping, _ = ColumnMapping.objects.update_or_create(
            header_key=header_key(header),
            defaults={"header": header, "columns": chosen, "updated_by": user},
        )
        OrderImport.objects.filter(pk=order_import.pk).update(
            status=OrderImport.Status.PENDING, error="", started_at=None, finished_at=None
        )
        order_import_start(order_import=order_import)
    return mapping


def order_import_run(*, order_import_id: int) -> OrderImport | None:
    """Run a queued :class:`OrderImport` once, however often the task is delivered.

    The ``pending → running`` update is the claim: a second delivery finds no pending row
    and returns ``None`` without touching anything. A file that cannot be imported fails
    the import with the reason, shown on its page; anything else unforeseen fails it too,
    then reaches the worker's log.
    """
    claimed = OrderImport.objects.filter(
        pk=order_import_id, status=OrderImport.Status.PENDING
    ).update(
        status=OrderImport.Status.RUNNING,
        started_at=timezone.now(),
        currency=settings.SHOP_CURRENCY,
    )
    if not claimed:
        return None
    order_import = OrderImport.objects.get(pk=order_import_id)

    def progress(done: int) -> None:
        OrderImport.objects.filter(pk=order_import.pk).update(bytes_done=done)

    try:
        path = _uploaded_path(order_import)
        summary = orders_import(
            path=path,
            dry_run=order_import.dry_run,
            order_import=order_import,
            on_progress=progress,
        )
    except ImportFileError as exc:
        order_import_finish(
            order_import=order_import,
            status=OrderImport.Status.FAILED,
            error=str(exc),
        )
    except Exception as exc:
        order_import_finish(
            order_import=order_import,
            status=OrderImport.Status.FAILED,
            error=f"unexpected error: {exc!r}",
        )
        raise
    else:
        order_import_finish(
            order_import=order_import,
            status=OrderImport.Status.SUCCEEDED,
            ignored=list(summary.ignored_columns),
        )
    order_import.refresh_from_db()
    return order_import


def _uploaded_path(order_import: OrderImport) -> Path:
    path = Path(order_import.file.path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"the uploaded file cannot be read: {exc.strerror or exc}") from exc
    OrderImport.objects.filter(pk=order_import.pk).update(bytes_total=size)
    return path


def order_import_finish(
    *,
    order_import: OrderImport,
    status: str,
    error: str = "",
    ignored: list[str] | None = None,
) -> None:
    """Mark an import finished with ``status`` (and its error, or the ignored columns)."""
    OrderImport.objects.filter(pk=order_import.pk).update(
        status=status, error=error, finished_at=timezone.now(), ignored_columns=ignored or []
    )
    order_import.status = status


def order_import_files_expire() -> retention.ExpiredUploads:
    """Delete uploaded order files past ``UPLOAD_RETENTION_DAYS``; the imports stay.

    Safe to run twice: a file deleted once is not looked for again and its import is
    marked once; a file that could not be deleted is tried again on the next run.
    """
    return retention.expired_files_delete()


@dataclass(frozen=True)
class ClvRecalculation:
    """A CLV run started by :func:`clv_recalculate`: finished in this process, or fanned out.

    With ``fan_out`` the run is still running: its parts wait to be sent as a chord whose
    callback is :func:`clv_run_finish` (``clvcrm.pipeline`` sends it).
    """

    run: ClvRun
    fan_out: FanOut | None = None


def clv_recalculate(
    *,
    as_of: date | None = None,
    triggered_by: str = "",
    on_stage: Callable[[str], None] | None = None,
    customers_per_part: int | None = None,
) -> ClvRecalculation:
    """Recalculate every customer's CLV as of the end of ``as_of`` (default: yesterday).

    One SQL aggregate, a model fit, vectorised scoring and one bulk write, recorded as a
    :class:`~customers.models.ClvRun` with parameters and timings. Raises
    :class:`~customers.clv_runs.run.ClvRunBusyError` while another run is in progress;
    any other failure marks the run failed, leaves the previous scores, and re-raises.
    Re-running the same ``as_of`` over the same orders gives identical numbers.

    ``customers_per_part`` (default ``CLV_FAN_OUT_CUSTOMERS_PER_PART``; 0 = off) fans the
    scoring and writing out over Celery workers, that many customers per task: the run is
    then aggregated and fitted here, and returned with its parts to be sent; it ends with
    the same scores the single-process run would write.
    """
    as_of = as_of or timezone.localdate() - timedelta(days=1)
    if customers_per_part is None:
        customers_per_part = settings.CLV_FAN_OUT_CUSTOMERS_PER_PART
    scoring = default_settings()
    run = run_start(as_of, scoring, triggered_by)
    if customers_per_part > 0:
        parts = fan_out.fan_out_prepare(run, scoring, customers_per_part, on_stage)
        run.refresh_from_db()
        return ClvRecalculation(run, parts)
    return ClvRecalculation(run_execute(run, scoring, on_stage))


def clv_run_part_score(*, part_id: int, breakpoints: Breakpoints) -> int:
    """Score and stage one customer-id range of a fanned-out run; return its customers.

    Idempotent: a part already finished, or of a run no longer running, is left alone.
    """
    return fan_out.part_score(part_id, breakpoints)


def clv_run_finish(*, run_id: int) -> ClvRun:
    """The fan-out chord's callback: swap in the staged scores, mark the run succeeded.

    Does nothing for a run no longer running (a second delivery, or a failed run).
    """
    return fan_out.run_finish(run_id)


def clv_backtest(*, calibration_end: date, holdout_end: date) -> ClvBacktest:
    """Fit the purchase model up to ``calibration_end`` and test it on the days after it.

    Records a :class:`~customers.models.ClvBacktest`; raises
    :class:`~customers.clv_runs.backtest.BacktestError` for a holdout that does not follow
    the calibration, or too little data to fit.
    """
    return backtest.backtest_run(calibration_end=calibration_end, holdout_end=holdout_end)


# --------------------------------------------------------------------------- segments


def segments_reassign(*, run_id: int) -> Reassignment:
    """Put every customer in one default segment for a successful CLV run (set-based SQL).

    One transaction; transitions (the campaigns' outbox) only for customers whose segment
    changed; re-running the same run writes nothing. Raises
    :class:`~customers.segments.reassign.SegmentRunError` for a run that did not succeed
    or whose scores a newer run replaced. See ``customers.segments``.
    """
    return reassign_run(run_id=run_id)


def segment_transition_mark_processed(*, transition_id: int) -> bool:
    """Claim one segment transition for a consumer: ``True`` only for the one that did."""
    return outbox.transition_claim(transition_id=transition_id)


def custom_segment_save(*, segment: Segment) -> Segment:
    """Save a custom segment (rules checked) and evaluate it against the latest segmented run.

    Raises :class:`~django.core.exceptions.ValidationError` naming each bad rule; nothing
    is saved then. If the evaluation fails anyway, the segment is saved marked broken.
    """
    with transaction.atomic(durable=True):
        custom.custom_segment_store(segment=segment)
    return segment


# --------------------------------------------------------------------------- loyalty


@dataclass(frozen=True)
class LoyaltyRefresh:
    """The outcome of one loyalty run: the tier evaluation and each points job."""

    tiers: TierEvaluation
    earned: PointsRun
    reversed: PointsRun
    expired: PointsRun


def loyalty_refresh(*, as_of: date | None = None) -> LoyaltyRefresh:
    """Run the loyalty programme as of the end of ``as_of`` (default: today), idempotently.

    Evaluates every customer's tier, then earns points on new completed orders (at the
    multiplier of the tier just evaluated), reverses those of refunded or cancelled orders
    and expires what is due, oldest first; each step is one transaction, set-based, and
    running it again for the same date writes nothing. Nightly by beat and, when the shop
    has tiers, after every import (``clvcrm.pipeline``).
    """
    as_of = as_of or timezone.localdate()
    return LoyaltyRefresh(
        tiers=loyalty_tiers_evaluate(as_of=as_of),
        earned=points_earn(as_of),
        reversed=points_reverse(as_of),
        expired=points_expire(as_of),
    )


def loyalty_tiers_evaluate(*, as_of: date) -> TierEvaluation:
    """Upgrade, keep, warn or downgrade every customer's tier as of ``as_of`` (set-based)."""
    return tiers_evaluate(as_of)


def points_redeem(
    *, customer: Customer, points: int, reason: str, staff: User | None = None
) -> PointsEntry:
    """Redeem ``points`` (> 0) of the customer's balance.

    Locks the balance row, so concurrent redemptions never overdraw it; a balance too short
    is refused with :class:`~customers.loyalty.ledger.PointsError`.
    """
    return points_change(
        customer=customer, kind=PointsEntry.Kind.REDEEM, points=-points, reason=reason, staff=staff
    )


def points_adjust(
    *, customer: Customer, points: int, reason: str, staff: User | None = None
) -> PointsEntry:
    """Add (or with a negative number take away) points by hand, with a reason.

    A negative adjustment larger than the balance, or one that would pass the largest
    balance, is refused with :class:`~customers.loyalty.ledger.PointsError`.
    """
    return points_change(
        customer=customer, kind=PointsEntry.Kind.ADJUST, points=points, reason=reason, staff=staff
    )


# --------------------------------------------------------------------------- shop webhooks

# Checked against when the shop is unknown, so that an unknown shop takes as long to
# refuse as a bad signature.
_NO_SHOP_SECRET = "no shop has this secret"
_DELIVERY_ID_LENGTH = WebhookEvent._meta.get_field("delivery_id").max_length or 128
_TOPIC_LENGTH = WebhookEvent._meta.get_field("topic").max_length or 64


def webhook_receive(
    *, platform: str, domain: str, signature: str, topic: str, delivery_id: str, body: bytes
) -> bool:
    """Store a shop's signed delivery and queue its processing; ``False``: refused.

    Refused, with nothing stored, unless ``domain`` is an active connected shop of
    ``platform`` and ``signature`` signs the raw ``body`` with its secret (checked before
    anything reads the body). A delivery id seen before (a platform's retry) stores
    nothing new; its processing is queued again, and does nothing if it already ran. A
    delivery without an id is known by its body's digest.
    """
    shop = (
        ConnectedShop.objects.filter(platform=platform, domain=shop_key(domain), active=True)
        .only("pk", "secret")
        .first()
    )
    valid = signature_valid(shop.secret if shop else _NO_SHOP_SECRET, body, signature)
    if shop is None or not valid:
        return False
    if not 0 < len(delivery_id) <= _DELIVERY_ID_LENGTH or not delivery_id.isprintable():
        delivery_id = f"sha256:{hashlib.sha256(body).hexdigest()}"
    event = WebhookEvent(
        platform=platform,
        shop=shop,
        topic=topic[:_TOPIC_LENGTH],
        delivery_id=delivery_id,
        body=body,
    )
    WebhookEvent.objects.bulk_create([event], ignore_conflicts=True)
    enqueue_on_commit(WEBHOOK_EVENT_PROCESS_TASK, shop.pk, delivery_id)
    return True


@dataclass(frozen=True)
class WebhookProcessed:
    """An event's processing: its outcome, and whether it added or changed an order."""

    outcome: str
    detail: str
    changed: bool
    order_id: str = ""
    order_updated_at: datetime | None = None


def webhook_event_process(*, shop_id: int, delivery_id: str) -> WebhookProcessed | None:
    """Process a stored delivery once, however often the task is delivered (``None``:
    already processed, or no such event).

    The event is claimed, its orders imported through :func:`orders_import_records` and
    its outcome stored in one transaction. A payload that maps to no order, or an order
    the import rejects, marks the event with the reason; nothing is raised.
    """
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update()
            .filter(shop_id=shop_id, delivery_id=delivery_id, processed_at__isnull=True)
            .first()
        )
        if event is None:
            return None
        try:
            with transaction.atomic():
                processed = _webhook_apply(event)
        except PayloadError as exc:
            processed = WebhookProcessed(WebhookEvent.Outcome.REJECTED, str(exc), False)
        except (DatabaseError, MemoryError):
            raise  # not the payload's fault: the task is delivered again
        except Exception as exc:  # the safety net: a payload never makes the task fail
            processed = WebhookProcessed(WebhookEvent.Outcome.REJECTED, unreadable(exc), False)
        WebhookEvent.objects.filter(pk=event.pk).update(
            processed_at=timezone.now(),
            outcome=processed.outcome,
            detail=processed.detail[:2000],
            order_id=processed.order_id[:64],
            order_updated_at=processed.order_updated_at,
        )
    return processed


def _webhook_apply(event: WebhookEvent) -> WebhookProcessed:
    if event.topic in shopify.ORDER_TOPICS and event.platform == "shopify":
        return _webhook_order(event, shopify.order_records(parse(bytes(event.body))))
    if event.topic in woocommerce.TOPICS and event.platform == "woocommerce":
        return _webhook_order(event, woocommerce.order_records(parse(bytes(event.body))))
    if event.topic == shopify.REFUND_TOPIC and event.platform == "shopify":
        return _webhook_refund(event, *shopify.refund_of(parse(bytes(event.body))))
    detail = f"topic {event.topic!r} is not processed"
    return WebhookProcessed(WebhookEvent.Outcome.IGNORED, detail, False)


def _webhook_order(event: WebhookEvent, order: MappedOrder) -> WebhookProcessed:
    """Import the order, unless a newer state of it came first (the platforms do not
    deliver in order): then the event is not processed, and says so."""
    if order.updated_at is not None:
        newer = WebhookEvent.objects.filter(
            shop_id=event.shop_id,
            order_id=order.order_id,
            outcome=WebhookEvent.Outcome.IMPORTED,
            order_updated_at__gt=order.updated_at,
        ).exists()
        if newer:
            detail = f"order {order.order_id}: a newer update was imported already"
            return WebhookProcessed(WebhookEvent.Outcome.IGNORED, detail, False)
    rejections: list[str] = []
    summary = orders_import_records(
        records=order.records,
        on_rejection=lambda r: rejections.append(f"{r.column or 'row'} {r.value!r}: {r.reason}"),
    )
    if rejections:
        raise PayloadError(f"order {order.order_id} rejected: " + "; ".join(rejections))
    ShopRefund.objects.bulk_create(
        [
            ShopRefund(
                shop_id=event.shop_id, refund_id=refund_id, order_id=order.order_id, amount=amount
            )
            for refund_id, amount in order.refunds.items()
        ],
        ignore_conflicts=True,
    )
    changed = not summary.nothing_new
    outcome = WebhookEvent.Outcome.IMPORTED
    return WebhookProcessed(outcome, "", changed, order.order_id, order.updated_at)


def _webhook_refund(
    event: WebhookEvent, refund_id: str, order_id: str, amount: Decimal
) -> WebhookProcessed:
    """A refund adds to its order's refunded amount, once: an ``orders/updated`` listing it
    may have counted it already.

    The order's row is locked first, so two refunds of one order processed at once add up;
    the refund's row is the claim, so the same refund processed twice at once counts once
    (the second waits for the first's commit, then finds it).
    """
    order = Order.objects.select_for_update().filter(external_id=order_id).first()
    if order is None:
        detail = f"order {order_id} not yet known: its next orders/updated counts the refund"
        return WebhookProcessed(WebhookEvent.Outcome.WAITING, detail, False)
    try:
        with transaction.atomic():
            ShopRefund.objects.create(
                shop_id=event.shop_id, refund_id=refund_id, order_id=order_id, amount=amount
            )
    except IntegrityError:
        detail = f"refund {refund_id} already counted"
        return WebhookProcessed(WebhookEvent.Outcome.IMPORTED, detail, False)
    customer_id = Customer.objects.values_list("external_id", flat=True).get(pk=order.customer_id)
    # The order as stored, with only its refunded amount changed: the import's update.
    order_record = {
        "customer_id": customer_id,
        "order_id": order.external_id,
        "placed_at": order.placed_at.isoformat(),
        "refunded_amount": str(order.refunded_amount + amount),
        "currency": order.currency,
        "status": order.status,
    }
    lines = order.lines.select_related("product").order_by("line_number")
    records = [
        {
            **order_record,
            "amount": str(line.amount),
            "order_total": str(order.total),
            "sku": line.product.sku,
            "product_name": line.product.name,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
        }
        for line in lines
    ] or [{**order_record, "amount": str(order.total)}]
    return _webhook_order(event, MappedOrder(order_id, records, {refund_id: amount}))
