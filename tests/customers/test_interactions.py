"""Notes and tasks: the constraints that protect them and the services that write them."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from customers.models import Customer, CustomerNote, CustomerTask
from customers.models.interactions import NOTE_MAX_LENGTH
from customers.services.interactions import (
    note_add,
    task_create,
    task_note_add,
    task_open_once,
    task_take,
    task_update,
)
from tests.customers.interaction_builders import task_made

pytestmark = pytest.mark.django_db

DUE = date(2026, 7, 3)


@pytest.fixture
def ann() -> Customer:
    return Customer.objects.create(external_id="ANN", email="ann@example.com")


def _refused(**fields: object) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerTask.objects.create(**fields)


def test_the_database_refuses_tasks_that_contradict_themselves(ann):
    base = {"customer": ann, "title": "Call back", "due_on": DUE}
    _refused(**base, status="done")  # closed without a closing time
    _refused(**base, status="open", closed_at="2026-07-01T10:00:00Z")
    _refused(**base, status="waiting")
    _refused(**base, source="nps_detractor")  # an event's task names its event
    _refused(**{**base, "title": ""})
    task_made(ann, "First", DUE, source="nps_detractor", source_key="nps-response:1")
    _refused(**base, source="nps_detractor", source_key="nps-response:1")
    # Staff's own tasks have no key: any number of them.
    task_made(ann, "Manual 1", DUE)
    task_made(ann, "Manual 2", DUE)

    assert CustomerTask.objects.count() == 3


def test_the_database_refuses_an_empty_note(ann):
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerNote.objects.create(customer=ann, body="")


def test_opening_the_same_follow_up_twice_writes_one_task(ann):
    fields = {
        "customer_id": ann.pk,
        "source": "nps_detractor",
        "source_key": "nps-response:7",
        "title": "NPS detractor: scored 3/10",
        "description": "Late delivery",
        "due_on": DUE,
    }

    first = task_open_once(**fields)
    again = task_open_once(**{**fields, "title": "Another title", "due_on": date(2026, 8, 1)})

    assert (first.created, again.created) == (True, False)
    assert again.task.pk == first.task.pk
    task = CustomerTask.objects.get()
    assert (task.title, task.description, task.due_on, task.status, task.closed_at) == (
        "NPS detractor: scored 3/10",
        "Late delivery",
        DUE,
        "open",
        None,
    )
    assert (task.source, task.source_key, task.assignee_id, task.created_by_id) == (
        "nps_detractor",
        "nps-response:7",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("source", "manual", "'manual' is not a source of follow-ups"),
        ("source", "phone", "'phone' is not a source of follow-ups"),
        ("source_key", "", "The source key is empty."),
        ("source_key", "k" * 101, "The source key is refused: longer than 100 characters."),
        ("title", "  ", "The title is empty."),
        ("title", "a\x00b", "The title is refused: contains a NUL character."),
    ],
)
def test_a_bad_follow_up_is_refused_by_field_and_nothing_is_written(ann, field, value, message):
    fields = {
        "customer_id": ann.pk,
        "source": "nps_detractor",
        "source_key": "nps-response:1",
        "title": "T",
        "description": "",
        "due_on": DUE,
        field: value,
    }
    with pytest.raises(ValidationError) as refused:
        task_open_once(**fields)

    assert refused.value.message_dict == {field: [message]}
    assert not CustomerTask.objects.exists()


def test_closing_twice_keeps_the_first_closing_and_reopening_clears_it(ann):
    task = task_made(ann, "Call back", DUE)

    closed = task_update(task_id=task.pk, status="done")
    again = task_update(task_id=task.pk, status="done")
    reopened = task_update(task_id=task.pk, status="open")

    assert (closed.changed, again.changed, reopened.changed) == (True, False, True)
    assert closed.task.closed_at is not None
    assert again.task.closed_at == closed.task.closed_at
    assert (reopened.task.status, reopened.task.closed_at) == ("open", None)


def test_an_update_changes_only_what_it_is_given(ann, make_staff):
    sam = make_staff("Support", "sam")
    task = task_made(ann, "Call back", DUE)

    assigned = task_update(task_id=task.pk, assignee=sam)
    same = task_update(task_id=task.pk, assignee=sam, due_on=DUE)
    moved = task_update(task_id=task.pk, due_on=date(2026, 7, 10))
    unassigned = task_update(task_id=task.pk, assignee=None)

    assert [assigned.changed, same.changed, moved.changed, unassigned.changed] == [
        True,
        False,
        True,
        True,
    ]
    task.refresh_from_db()
    assert (task.assignee_id, task.due_on, task.status) == (None, date(2026, 7, 10), "open")


def test_only_staff_who_work_tasks_may_be_assigned(ann, make_staff):
    mia = make_staff("Marketing", "mia")
    task = task_made(ann, "Call back", DUE)

    with pytest.raises(ValidationError) as refused:
        task_update(task_id=task.pk, assignee=mia)
    with pytest.raises(ValidationError):
        task_create(customer=ann, title="X", due_on=DUE, assignee=mia, created_by=None)

    assert refused.value.message_dict == {
        "assignee": ["mia may not work tasks (Support or Admin role)."]
    }
    assert CustomerTask.objects.get().assignee_id is None


def test_the_first_to_take_a_task_has_it(ann, make_staff):
    sam, sue = make_staff("Support", "sam"), make_staff("Support", "sue")
    task = task_made(ann, "Call back", DUE)
    closed = task_made(ann, "Old", DUE, status="done")

    taken = task_take(task_id=task.pk, user=sam)
    late = task_take(task_id=task.pk, user=sue)
    of_closed = task_take(task_id=closed.pk, user=sue)

    assert (taken.changed, late.changed, of_closed.changed) == (True, False, False)
    assert late.task.assignee == sam
    closed.refresh_from_db()
    assert closed.assignee_id is None


def test_a_manual_task_and_notes(ann, make_staff):
    sam = make_staff("Support", "sam")

    task = task_create(
        customer=ann,
        title="  Send a voucher ",
        description="Ask about the parcel",
        due_on=DUE,
        assignee=sam,
        created_by=sam,
    )
    note = note_add(customer=ann, author=sam, body="Called, no answer")
    on_task = task_note_add(task_id=task.pk, author=sam, body="Voucher sent")

    assert (task.title, task.source, task.source_key, task.assignee, task.created_by) == (
        "Send a voucher",
        "manual",
        "",
        sam,
        sam,
    )
    assert (note.customer_id, note.task_id, note.body) == (ann.pk, None, "Called, no answer")
    assert (on_task.customer_id, on_task.task_id) == (ann.pk, task.pk)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   ", "The body is empty."),
        (
            "x" * (NOTE_MAX_LENGTH + 1),
            f"The body is refused: longer than {NOTE_MAX_LENGTH} characters.",
        ),
    ],
)
def test_a_bad_note_is_refused_and_nothing_is_written(ann, body, message):
    with pytest.raises(ValidationError) as refused:
        note_add(customer=ann, author=None, body=body)

    assert refused.value.message_dict == {"body": [message]}
    assert not CustomerNote.objects.exists()


def test_a_note_on_a_missing_task_is_refused(ann):
    with pytest.raises(ValidationError) as refused:
        task_note_add(task_id=999, author=None, body="hello")

    assert refused.value.message_dict == {"task": ["there is no task 999"]}
    assert not CustomerNote.objects.exists()
