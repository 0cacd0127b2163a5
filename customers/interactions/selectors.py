"""Reads of notes and tasks: the tasks inbox, a task's page, the customer page's cards.

The inbox is a keyset page in due-date order (overdue first: they are due earliest) over
partial indexes of the tasks still to do, so it costs the same with ten tasks or millions.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Permission, User
from django.db.models import F, Q, QuerySet

from customers.clv_runs.value_bands import current_cut
from customers.models import CustomerNote, CustomerTask

TASK_PERMISSION = ("customers", "change_customertask")


class Assignee:
    """The inbox's assignee filter: these words, or a user's id."""

    ME = "me"
    ANYONE = "anyone"
    UNASSIGNED = "unassigned"


class Due:
    """The inbox's due-date filter."""

    ANY = "any"
    OVERDUE = "overdue"  # before today, still to do
    TODAY = "today"
    WEEK = "week"  # from today to the end of this week (Sunday)


@dataclass(frozen=True)
class TaskFilters:
    """What the inbox shows; the defaults are Support's usual view (every task still to do)."""

    today: date
    user_id: int
    assignee: str = Assignee.ANYONE
    assignee_id: int | None = None  # a given user's tasks (``assignee`` is then ignored)
    statuses: tuple[str, ...] = CustomerTask.ACTIVE  # empty: any status
    due: str = Due.ANY
    source: str = ""
    top_percent: int | None = None  # customers in the top N % by predicted CLV
    min_predicted_clv: Decimal | None = None


def task_inbox(filters: TaskFilters) -> QuerySet[CustomerTask]:
    """Tasks matching ``filters`` with their customer, assignee and predicted CLV (to be
    ordered by due date and id, overdue first). One query for the cut-off of a value band
    (once stored, see ``customers.clv_runs.value_bands``)."""
    qs = CustomerTask.objects.select_related("customer", "assignee").annotate(
        predicted_clv=F("customer__score__predicted_clv")
    )
    if filters.statuses:  # empty: any status
        qs = qs.filter(status__in=filters.statuses)
    if filters.assignee_id is not None:
        qs = qs.filter(assignee_id=filters.assignee_id)
    elif filters.assignee == Assignee.ME:
        qs = qs.filter(assignee_id=filters.user_id)
    elif filters.assignee == Assignee.UNASSIGNED:
        qs = qs.filter(assignee__isnull=True)
    qs = qs.filter(_due(filters.due, filters.today))
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.top_percent is not None:
        cut = current_cut(filters.top_percent)
        if cut is None:
            return qs.none()
        qs = qs.filter(customer__score__predicted_clv__gte=cut)
    if filters.min_predicted_clv is not None:
        qs = qs.filter(customer__score__predicted_clv__gte=filters.min_predicted_clv)
    return qs


def _due(due: str, today: date) -> Q:
    if due == Due.OVERDUE:
        return Q(due_on__lt=today)
    if due == Due.TODAY:
        return Q(due_on=today)
    if due == Due.WEEK:
        return Q(due_on__gte=today, due_on__lte=today + timedelta(days=6 - today.weekday()))
    return Q()


def overdue_count(*, user_id: int, today: date) -> int:
    """How many tasks still to do and past due ``user_id`` has: one range of an index."""
    return CustomerTask.objects.filter(
        assignee_id=user_id, status__in=CustomerTask.ACTIVE, due_on__lt=today
    ).count()


def task_detail(task_id: int) -> CustomerTask | None:
    """A task with its customer (and their score), assignee and creator."""
    return (
        CustomerTask.objects.select_related("customer__score", "assignee", "created_by")
        .filter(pk=task_id)
        .first()
    )


def task_notes(task: CustomerTask) -> list[CustomerNote]:
    """The task's notes, oldest first (a conversation), with their authors."""
    return list(task.notes.select_related("author").order_by("created_at", "id"))


def customer_notes(customer_id: int, limit: int = 10) -> list[CustomerNote]:
    """The customer's latest notes, newest first, with their authors and tasks."""
    notes = CustomerNote.objects.filter(customer_id=customer_id).select_related("author", "task")
    return list(notes.order_by("-created_at", "-id")[:limit])


def customer_open_tasks(customer_id: int, limit: int = 20) -> list[CustomerTask]:
    """The customer's tasks still to do, soonest due first, with their assignees."""
    tasks = CustomerTask.objects.filter(customer_id=customer_id, status__in=CustomerTask.ACTIVE)
    return list(tasks.select_related("assignee").order_by("due_on", "id")[:limit])


def task_workers() -> QuerySet[User]:
    """The staff who may work tasks (and so be assigned them): active staff holding the
    permission through a role or themselves, and superusers."""
    app_label, codename = TASK_PERMISSION
    granted = Q(codename=codename, content_type__app_label=app_label)
    holds = (
        Q(is_superuser=True)
        | Q(groups__permissions__in=_permissions(granted))
        | Q(user_permissions__in=_permissions(granted))
    )
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(pk__in=User.objects.filter(holds).values("pk"))
        .order_by("username")
    )


def _permissions(condition: Q) -> QuerySet[Permission]:
    return Permission.objects.filter(condition)
