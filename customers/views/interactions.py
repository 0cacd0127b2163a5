"""The customer page's notes and tasks cards: add a note, create a task.

POST forms (CSRF) that need the add permission (403 otherwise); the outcome shows as a
message at the top of the customer page.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from clvcrm.core.decorators import staff_required, staff_user
from customers.interactions.forms import NoteForm, TaskCreateForm, describe_errors
from customers.models import Customer
from customers.services.interactions import note_add, task_create


@require_POST
@staff_required("customers.view_customer", "customers.add_customernote")
def customer_note_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Note not added. {describe_errors(form)}")
        return redirect("customers:detail", pk=pk)
    try:
        note_add(customer=customer, author=staff_user(request), body=form.cleaned_data["body"])
    except ValidationError as exc:
        messages.error(request, f"Note not added: {' '.join(exc.messages)}")
        return redirect("customers:detail", pk=pk)
    messages.success(request, "Note added.")
    return redirect("customers:detail", pk=pk)


@require_POST
@staff_required("customers.view_customer", "customers.add_customertask")
def customer_task_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = TaskCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Task not created. {describe_errors(form)}")
        return redirect("customers:detail", pk=pk)
    data = form.cleaned_data
    try:
        task = task_create(
            customer=customer,
            title=data["title"],
            description=data["description"],
            due_on=data["due_on"],
            assignee=data["assignee"],
            created_by=staff_user(request),
        )
    except ValidationError as exc:
        messages.error(request, f"Task not created: {' '.join(exc.messages)}")
        return redirect("customers:detail", pk=pk)
    messages.success(request, f"Task “{task.title}” created, due {task.due_on:%Y-%m-%d}.")
    return redirect("customers:detail", pk=pk)
