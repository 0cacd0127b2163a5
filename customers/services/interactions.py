"""Notes and follow-up tasks on the customer record: every write of them.

Staff write through the customer page, the tasks inbox and a task's page; other apps open
follow-ups with :func:`task_open_once` (the feedback app for an NPS detractor). Changes are
conditional UPDATEs, so two people closing or taking the same task at once both see a
sensible outcome and neither overwrites the other's result.

Bad values raise :class:`~django.core.exceptions.ValidationError` naming the field, before
anything is written.
"""

from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from clvcrm.core.audit import audit_diff, audit_record
from clvcrm.core.input_values import InputValueError, day_within, text_within
from customers.interactions.selectors import task_workers
from customers.models import Customer, CustomerNote, CustomerTask
from customers.models.interactions import (
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    SOURCE_KEY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)

TASKS = CustomerTask._meta.db_table
# Not given: the assignee stays as it is (``None`` means "unassign").
UNCHANGED: Any = object()


@dataclass(frozen=True)
class TaskOpened:
    """A follow-up asked for by an event: the task, and whether this call created it."""

    task: CustomerTask
    created: bool


@dataclass(frozen=True)
class TaskChange:
    """The task after a change, and what the change did (``False``: it was so already)."""

    task: CustomerTask
    changed: bool


# What a task's audit entry compares before and after (never the free text).
AUDITED_TASK_FIELDS = ("status", "assignee_id", "due_on")


def note_add(*, customer: Customer, author: User | None, body: str) -> CustomerNote:
    """Add a note (at most ``NOTE_MAX_LENGTH`` characters, not blank) to the customer."""
    text = _text(body, field="body", max_length=NOTE_MAX_LENGTH, required=True)
    with transaction.atomic():
        note = CustomerNote.objects.create(customer=customer, author=author, body=text)
        _audit_note(author, note)
        return note


def task_note_add(*, task_id: int, author: User | None, body: str) -> CustomerNote:
    """Add a note to the task, on the task's customer; the task counts as updated."""
    text = _text(body, field="body", max_length=NOTE_MAX_LENGTH, required=True)
    with transaction.atomic():
        customer_id = _task_customer_id(task_id)
        CustomerTask.objects.filter(pk=task_id).update(updated_at=timezone.now())
        note = CustomerNote.objects.create(
            customer_id=customer_id, task_id=task_id, author=author, body=text
        )
        _audit_note(author, note)
        return note


def task_create(
    *,
    customer: Customer,
    title: str,
    description: str = "",
    due_on: date,
    assignee: User | None = None,
    created_by: User | None,
) -> CustomerTask:
    """Open a manual task on the customer, for ``assignee`` (one who may work tasks) or
    for whoever takes it from the inbox."""
    fields = _task_fields(title=title, description=description, due_on=due_on)
    _check_assignee(assignee)
    now = timezone.now()
    with transaction.atomic():
        task = CustomerTask.objects.create(
            customer=customer,
            source=CustomerTask.Source.MANUAL,
            assignee=assignee,
            created_by=created_by,
            created_at=now,
            updated_at=now,
            **fields,
        )
        if created_by is not None:
            after = {"due_on": task.due_on, "assignee": task.assignee_id, "status": task.status}
            changes = {"customer": customer.pk, **audit_diff({}, after)}
            audit_record(actor=created_by, action="task.create", target=task, changes=changes)
        return task


def task_open_once(
    *,
    customer_id: int,
    source: str,
    source_key: str,
    title: str,
    description: str,
    due_on: date,
    assignee_id: int | None = None,
) -> TaskOpened:
    """Open the follow-up of the event ``source_key`` (e.g. ``nps-response:42``) unless it
    is open already: one ``INSERT ... ON CONFLICT DO NOTHING`` on the key's unique index,
    so of any number of calls at once exactly one creates the task.

    One statement, atomic by itself: in the caller's transaction when there is one (the
    event's own, so the task and the event commit together). The title and description are
    cut to their columns.
    """
    if source not in CustomerTask.Source.values or source == CustomerTask.Source.MANUAL:
        raise ValidationError({"source": f"{source!r} is not a source of follow-ups"})
    key = _text(source_key, field="source_key", max_length=SOURCE_KEY_MAX_LENGTH, required=True)
    fields = _task_fields(
        title=title[:TITLE_MAX_LENGTH],
        description=description[:DESCRIPTION_MAX_LENGTH],
        due_on=due_on,
    )
    ops = connection.ops
    moment = timezone.now()
    now = ops.adapt_datetimefield_value(moment)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TASKS} (customer_id, title, description, source, source_key, "
            "assignee_id, due_on, status, created_by_id, created_at, updated_at, closed_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, NULL, %s, %s, NULL) "
            "ON CONFLICT DO NOTHING RETURNING id",
            [
                customer_id,
                fields["title"],
                fields["description"],
                source,
                key,
                assignee_id,
                ops.adapt_datefield_value(fields["due_on"]),
                CustomerTask.Status.OPEN,
                now,
                now,
            ],
        )
        row = cursor.fetchone()
    if row is not None:
        # The row as inserted: an answer's transaction reads nothing back.
        task = CustomerTask(
            id=row[0],
            customer_id=customer_id,
            source=source,
            source_key=key,
            assignee_id=assignee_id,
            status=CustomerTask.Status.OPEN,
            created_at=moment,
            updated_at=moment,
            **fields,
        )
        return TaskOpened(task, created=True)
    return TaskOpened(CustomerTask.objects.get(source_key=key), created=False)


def task_update(
    *,
    task_id: int,
    status: str | None = None,
    assignee: User | None = UNCHANGED,
    due_on: date | None = None,
    actor: User | None = None,
) -> TaskChange:
    """Change the task's status, assignee (``None``: nobody) and due date, as given.

    The status moves by a conditional UPDATE (``WHERE status <> new``): when two people
    close a task at once, one closes it and the other finds it closed, and its closing
    time is the first one. ``closed_at`` follows the status (the CHECK constraint).
    """
    if status is not None and status not in CustomerTask.Status.values:
        choices = ", ".join(CustomerTask.Status.values)
        raise ValidationError({"status": f"{status!r} is not a status (one of {choices})"})
    if due_on is not None:
        due_on = _task_fields(title="-", description="", due_on=due_on)["due_on"]
    if assignee is not UNCHANGED:
        _check_assignee(assignee)
    now = timezone.now()
    with transaction.atomic():
        task = CustomerTask.objects.filter(pk=task_id)
        before = task.values(*AUDITED_TASK_FIELDS).first() or {}
        changed = 0
        if status is not None:
            closed_at = now if status in CustomerTask.CLOSED else None
            changed += task.exclude(status=status).update(
                status=status, closed_at=closed_at, updated_at=now
            )
        others: dict[str, Any] = {}
        differs: list[Q] = []
        if assignee is not UNCHANGED:
            others["assignee"] = assignee
            differs.append(~Q(assignee=assignee) if assignee else Q(assignee__isnull=False))
        if due_on is not None:
            others["due_on"] = due_on
            differs.append(~Q(due_on=due_on))
        if others:
            changed += task.filter(reduce(or_, differs)).update(updated_at=now, **others)
        result = TaskChange(_task(task_id), changed=changed > 0)
        if actor is not None and result.changed:
            after = {name: getattr(result.task, name) for name in AUDITED_TASK_FIELDS}
            changes = audit_diff(before, after)
            audit_record(actor=actor, action="task.update", target=result.task, changes=changes)
        return result


def task_take(*, task_id: int, user: User) -> TaskChange:
    """Assign the task to ``user`` if nobody has it yet and it is still to do; when two
    take it at once, the first one has it (a conditional UPDATE)."""
    _check_assignee(user)
    with transaction.atomic():
        taken = CustomerTask.objects.filter(
            pk=task_id, assignee__isnull=True, status__in=CustomerTask.ACTIVE
        ).update(assignee=user, updated_at=timezone.now())
        result = TaskChange(_task(task_id), changed=taken == 1)
        if result.changed:
            changes = {"assignee_id": [None, user.pk]}
            audit_record(actor=user, action="task.take", target=result.task, changes=changes)
        return result


def _audit_note(author: User | None, note: CustomerNote) -> None:
    """A staff note in the audit log: which customer and task, never its text (free text
    may name people, and the audit log keeps nothing personal)."""
    if author is not None:
        changes = {"customer": note.customer_id, "task": note.task_id, "length": len(note.body)}
        audit_record(actor=author, action="note.add", target=note, changes=changes)


def _task(task_id: int) -> CustomerTask:
    try:
        return CustomerTask.objects.select_related("assignee").get(pk=task_id)
    except CustomerTask.DoesNotExist:
        raise ValidationError({"task": f"there is no task {task_id}"}) from None


def _task_customer_id(task_id: int) -> int:
    customer_id = (
        CustomerTask.objects.filter(pk=task_id).values_list("customer_id", flat=True).first()
    )
    if customer_id is None:
        raise ValidationError({"task": f"there is no task {task_id}"})
    return customer_id


def _task_fields(*, title: str, description: str, due_on: date) -> dict[str, Any]:
    try:
        day = day_within(due_on)
    except InputValueError as exc:
        raise ValidationError({"due_on": f"The due date is {exc}."}) from None
    return {
        "title": _text(title, field="title", max_length=TITLE_MAX_LENGTH, required=True),
        "description": _text(description, field="description", max_length=DESCRIPTION_MAX_LENGTH),
        "due_on": day,
    }


def _check_assignee(user: User | None) -> None:
    """An assignee must be an active staff member who may work tasks."""
    if user is not None and not task_workers().filter(pk=user.pk).exists():
        raise ValidationError(
            {"assignee": f"{user.get_username()} may not work tasks (Support or Admin role)."}
        )


def _text(value: str, *, field: str, max_length: int, required: bool = False) -> str:
    text = value.strip()
    if required and not text:
        raise ValidationError({field: f"The {field.replace('_', ' ')} is empty."})
    try:
        return text_within(text, max_length=max_length)
    except InputValueError as exc:
        raise ValidationError(
            {field: f"The {field.replace('_', ' ')} is refused: {exc}."}
        ) from None
