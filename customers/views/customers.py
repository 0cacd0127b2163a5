"""Staff pages for customers: the list and the customer page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from clvcrm.core.decorators import staff_required
from clvcrm.core.pagination import keyset_page, parameters_besides_cursor
from customers import selectors
from customers.forms import CustomerFilterForm
from customers.interactions.forms import NoteForm, TaskCreateForm
from customers.interactions.selectors import customer_notes, customer_open_tasks
from customers.loyalty.selectors import loyalty_card
from customers.models import Customer
from customers.record.history import HISTORY_LIMIT, consent_history, segment_history
from customers.record.panels import record_panels_for


@staff_required("customers.view_customer")
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    channel = data.get("channel")
    filters = selectors.CustomerFilters(
        q=data.get("q", ""),
        country=data.get("country", ""),
        channel_id=channel.pk if channel else None,
        consent=data.get("consent", ""),
        acquired_from=data.get("acquired_from"),
        acquired_to=data.get("acquired_to"),
        segment=data.get("segment", ""),
        active=data.get("active", ""),
    )
    sort = data.get("sort") or selectors.DEFAULT_CUSTOMER_SORT
    page = keyset_page(
        selectors.customer_search(filters),
        selectors.CUSTOMER_SORTS[sort],
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    query = parameters_besides_cursor(request)
    return render(
        request,
        "customers/customer_list.html",
        {"form": form, "page": page, "sort": sort, "query": query},
    )


@staff_required("customers.view_customer", "customers.view_order")
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(
        Customer.objects.select_related(
            "acquisition_channel", "score__run", "segment_assignment__segment"
        ),
        pk=pk,
    )
    user = request.user
    today = timezone.localdate()
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "stats": selectors.customer_order_stats(customer),
            "orders": selectors.customer_recent_orders(customer),
            # Loaded with the customer above; None until a run scores their first order.
            "score": getattr(customer, "score", None),
            "loyalty": loyalty_card(customer, today),
            "today": today,
            # The cards each role may see, and the forms of those who may add (the
            # task form's assignee choices are one more query, read as it renders).
            "notes": customer_notes(pk) if user.has_perm("customers.view_customernote") else None,
            "tasks": (
                customer_open_tasks(pk) if user.has_perm("customers.view_customertask") else None
            ),
            "note_form": NoteForm() if user.has_perm("customers.add_customernote") else None,
            "task_form": (
                TaskCreateForm(initial={"due_on": today})
                if user.has_perm("customers.add_customertask")
                else None
            ),
            # The histories (one query each) and the panels other apps add, those the
            # role may see (a few queries each, bounded whatever the customer's history).
            "consent_history": consent_history(customer),
            "segment_history": (
                segment_history(pk) if user.has_perm("customers.view_customersegment") else None
            ),
            "history_limit": HISTORY_LIMIT,
            "record_panels": record_panels_for(customer, user),
        },
    )
