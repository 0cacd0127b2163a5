"""Access rules for staff pages: log in first, then hold the permission."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase


def staff_required(
    *perms: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Anonymous users go to the login page; staff without ``perms`` get 403 Forbidden."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_staff or not user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def staff_user(request: HttpRequest) -> User:
    """The signed-in user of a request that :func:`staff_required` let through."""
    user = request.user
    assert isinstance(user, User), "staff_required lets no anonymous user through"
    return user
