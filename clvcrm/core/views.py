"""Project-level pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page for staff: the customer list, until the dashboard exists."""
    return redirect("customers:list")
