"""Staff forms of notes and tasks: the customer page's, a task's page and the inbox filters."""

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from clvcrm.core.form_fields import ColumnNumberField
from clvcrm.core.input_values import InputValueError, date_from_text
from clvcrm.core.model_fields import model_field
from customers.forms import IdChoiceField
from customers.interactions.selectors import Assignee, Due, task_workers
from customers.models import CustomerScore, CustomerTask
from customers.models.interactions import (
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)

# The inbox's value bands: customers in the top N % of the latest run by predicted CLV.
VALUE_BANDS = (10, 20, 50)
ACTIVE = "active"  # the inbox's default status filter: open or in progress
ALL = "all"


class DueDateField(forms.CharField):
    """A day typed as ``YYYY-MM-DD`` (the date input sends it so), ASCII digits, within the
    days every part of the system handles."""

    widget = forms.DateInput(attrs={"type": "date"})

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]  # a date built on CharField's text cleaning
        text = super().to_python(value)
        if not text:
            return None
        try:
            return date_from_text(text)
        except InputValueError as exc:
            raise ValidationError(f"The due date is {exc}.", code="invalid") from None


class WorkerField(IdChoiceField):
    """A staff member who may work tasks, or nobody (the inbox)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=task_workers(), required=False, empty_label="Nobody (inbox)", **kwargs
        )

    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        return user.get_full_name() or user.get_username()


class NoteForm(forms.Form):
    body = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Add a note"}),
    )


class TaskCreateForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    due_on = DueDateField(label="Due")
    assignee = WorkerField()


class TaskUpdateForm(forms.Form):
    """A task's status, assignee and due date, as its page edits them all at once."""

    status = forms.ChoiceField(choices=CustomerTask.Status.choices)
    assignee = WorkerField()
    due_on = DueDateField(label="Due")


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(choices=CustomerTask.Status.choices)


class TaskInboxForm(forms.Form):
    """The inbox's filters; every value checked against what it may be."""

    assignee = forms.ChoiceField(required=False)
    status = forms.ChoiceField(
        required=False,
        choices=[
            (ACTIVE, "Open or in progress"),
            *CustomerTask.Status.choices,
            (ALL, "Any status"),
        ],
    )
    due = forms.ChoiceField(
        required=False,
        choices=[
            (Due.ANY, "Any due date"),
            (Due.OVERDUE, "Overdue"),
            (Due.TODAY, "Due today"),
            (Due.WEEK, "Due this week"),
        ],
    )
    value = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any customer value"),
            *((str(p), f"Top {p}% by predicted CLV") for p in VALUE_BANDS),
        ],
    )
    min_clv = ColumnNumberField(
        model_field=model_field(CustomerScore, "predicted_clv"),
        required=False,
        label="Predicted CLV at least",
    )
    source = forms.ChoiceField(
        required=False, choices=[("", "Any source"), *CustomerTask.Source.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        workers = [(str(u.pk), u.get_username()) for u in task_workers()]
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ChoiceField)
        assignee.choices = [
            (Assignee.ANYONE, "Anyone"),
            (Assignee.ME, "Assigned to me"),
            (Assignee.UNASSIGNED, "Unassigned"),
            *workers,
        ]

    def statuses(self) -> tuple[str, ...]:
        """The statuses shown; empty for every status (no filter: the due-date index)."""
        status = self.cleaned_data.get("status") or ACTIVE
        if status == ACTIVE:
            return tuple(CustomerTask.ACTIVE)
        return () if status == ALL else (status,)


def describe_errors(form: forms.Form) -> str:
    """Every problem in one line, naming the field (shown as a message on the page)."""
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(str(error) for error in errors)
        label = form.fields[name].label or name.replace("_", " ") if name in form.fields else ""
        parts.append(f"{str(label).capitalize()}: {text}" if label else text)
    return " ".join(parts)
