"""The workspace's staff pages."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clvcrm.core.decorators import staff_required, staff_user
from clvcrm.core.pagination import keyset_page, parameters_besides_cursor
from clvcrm.core.tasks import enqueue_on_commit
from clvcrm.workspace import operations
from clvcrm.workspace.audit import AUDIT_ORDERING, AuditFilterForm, audit_entries
from customers.clv_runs.selectors import clv_runs_recent


@staff_required("core.view_operations")
def operations_page(request: HttpRequest) -> HttpResponse:
    """For Admins: the last CLV runs, imports and campaign sends with their status and
    timings, the queues' depths and the failed tasks; a button that starts a run."""
    return render(
        request,
        "workspace/operations.html",
        {
            "runs": clv_runs_recent(),
            "imports": operations.imports_recent(),
            "sends": operations.campaign_sends(),
            "send_statuses": operations.SEND_STATUSES,
            "queues": operations.queue_depths(),
            "failures": operations.task_failures(),
        },
    )


@require_POST
@staff_required("core.start_recalculation")
def recalculation_start(request: HttpRequest) -> HttpResponse:
    """Queue a CLV recalculation (and the steps after it) as of today. A run already in
    progress wins: the queued one then does nothing (the task logs why)."""
    user = staff_user(request)
    enqueue_on_commit("clvcrm.pipeline.tasks.clv_recalculate", None, f"staff:{user.username}")
    messages.success(
        request,
        "A CLV recalculation has been queued; it shows below once a worker has started it.",
    )
    return redirect("workspace:operations")


@staff_required("core.view_auditentry")
def audit_log(request: HttpRequest) -> HttpResponse:
    """For Admins: every staff write, newest first, searchable; nothing here changes it."""
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = keyset_page(
        audit_entries(filters),
        AUDIT_ORDERING,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    query = parameters_besides_cursor(request)
    return render(
        request,
        "workspace/audit_log.html",
        {"form": form, "page": page, "query": query},
    )
