"""Staff pages of follow-up tasks: the inbox, a task's page and their actions.

Everyone with the view permission sees them; the actions (take, change status, assignee or
due date, add a note) need ``change_customertask``: they are POST forms (CSRF), refused with
403 otherwise, and their outcome is a message on the page they came from.
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clvcrm.core.decorators import staff_required, staff_user
from clvcrm.core.pagination import keyset_page, parameters_besides_cursor
from customers.interactions import selectors
from customers.interactions.forms import (
    NoteForm,
    TaskInboxForm,
    TaskStatusForm,
    TaskUpdateForm,
    describe_errors,
)
from customers.interactions.selectors import Assignee, TaskFilters
from customers.services.interactions import TaskChange, task_note_add, task_take, task_update

VIEW = "customers.view_customertask"
CHANGE = "customers.change_customertask"


@staff_required(VIEW)
def task_inbox(request: HttpRequest) -> HttpResponse:
    """Tasks by due date, overdue first, 50 a page (keyset), with a capped count."""
    user = staff_user(request)
    today = timezone.localdate()
    form = TaskInboxForm(request.GET or None)
    valid = form.is_bound and form.is_valid()
    data = form.cleaned_data if valid else {}
    assignee = data.get("assignee") or Assignee.ANYONE
    value = data.get("value")
    filters = TaskFilters(
        today=today,
        user_id=user.pk,
        assignee=assignee,
        assignee_id=int(assignee) if assignee.isdigit() else None,
        statuses=form.statuses() if valid else TaskFilters.statuses,
        due=data.get("due") or selectors.Due.ANY,
        source=data.get("source") or "",
        top_percent=int(value) if value else None,
        min_predicted_clv=data.get("min_clv"),
    )
    page = keyset_page(
        selectors.task_inbox(filters),
        ("due_on",),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    query = parameters_besides_cursor(request)
    context = {
        "form": form,
        "page": page,
        "today": today,
        "query": query,
        "mine_overdue": selectors.overdue_count(user_id=user.pk, today=today),
        "status_form": TaskStatusForm(),
    }
    return render(request, "customers/task_list.html", context)


@staff_required(VIEW, "customers.view_customer")
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_detail(pk)
    if task is None:
        raise Http404("No such task.")
    form = TaskUpdateForm(
        initial={"status": task.status, "assignee": task.assignee_id, "due_on": task.due_on}
    )
    context = {
        "task": task,
        "notes": selectors.task_notes(task),
        "form": form,
        "note_form": NoteForm(),
        "today": timezone.localdate(),
        "score": getattr(task.customer, "score", None),
    }
    return render(request, "customers/task_detail.html", context)


@require_POST
@staff_required(VIEW, CHANGE)
def task_update_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The task page's form: status, assignee and due date at once."""
    form = TaskUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Task not changed. {describe_errors(form)}")
        return redirect("customers:task_detail", pk=pk)
    data = form.cleaned_data
    return _changed(
        request,
        pk,
        lambda: task_update(
            task_id=pk,
            status=data["status"],
            assignee=data["assignee"],
            due_on=data["due_on"],
            actor=staff_user(request),
        ),
        done="Task updated.",
        same="Nothing to change: the task was so already.",
    )


@require_POST
@staff_required(VIEW, CHANGE)
def task_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The inbox's inline status change."""
    form = TaskStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Task not changed. {describe_errors(form)}")
        return _back(request, pk)
    status = form.cleaned_data["status"]
    return _changed(
        request,
        pk,
        lambda: task_update(task_id=pk, status=status, actor=staff_user(request)),
        done="Task marked {status}.",
        same="The task was {status} already.",
    )


@require_POST
@staff_required(VIEW, CHANGE)
def task_take_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign the task to me, if nobody has it yet."""
    user = staff_user(request)
    return _changed(
        request,
        pk,
        lambda: task_take(task_id=pk, user=user),
        done="The task is yours.",
        same="Not taken: {assignee} has it already, or it is closed.",
    )


@require_POST
@staff_required(VIEW, CHANGE, "customers.add_customernote")
def task_note(request: HttpRequest, pk: int) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Note not added. {describe_errors(form)}")
        return redirect("customers:task_detail", pk=pk)
    try:
        task_note_add(task_id=pk, author=staff_user(request), body=form.cleaned_data["body"])
    except ValidationError as exc:
        return _refused(request, pk, "Note not added", exc)
    messages.success(request, "Note added.")
    return redirect("customers:task_detail", pk=pk)


def _changed(
    request: HttpRequest, pk: int, change: Callable[[], TaskChange], *, done: str, same: str
) -> HttpResponse:
    try:
        outcome = change()
    except ValidationError as exc:
        return _refused(request, pk, "Task not changed", exc)
    task = outcome.task
    words = {"status": task.get_status_display().lower(), "assignee": task.assignee or "nobody"}
    if outcome.changed:
        messages.success(request, done.format(**words))
    else:
        messages.info(request, same.format(**words))
    return _back(request, pk)


def _refused(request: HttpRequest, pk: int, what: str, exc: ValidationError) -> HttpResponse:
    if "task" in getattr(exc, "error_dict", {}):
        raise Http404("No such task.")
    messages.error(request, f"{what}: {' '.join(exc.messages)}")
    return _back(request, pk)


def _back(request: HttpRequest, pk: int) -> HttpResponse:
    """To the page the form was on (the inbox with its filters), else the task's page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("customers:task_detail", args=[pk]))
