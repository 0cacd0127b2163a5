"""One error format for every API 4xx: ``{"errors": [{"field", "code", "message"}]}``.

``field`` is the dotted path of the input that is wrong (``lines.2.sku``), or ``null`` for
an error of the request as a whole (a missing login, a throttled client, an unknown URL).
Errors of one item of a list sent as the request body carry its ``index`` as well (and
``field`` relative to that item). DRF's own handler still runs first: it sets
``WWW-Authenticate`` and ``Retry-After``, and leaves unexpected exceptions to Django (500).
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: DRF's answer, its body in the error format."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        errors = validation_errors(exc.detail)
    elif isinstance(exc, exceptions.APIException):
        errors = [_error(None, exc.detail, exc.default_code)]
    else:  # pragma: no cover - DRF answers only the exceptions above
        errors = [{"field": None, "code": "error", "message": str(exc)}]
    response.data = {"errors": errors}
    return response


T = TypeVar("T")


def service_written(write: Callable[[], T], *, field_names: Mapping[str, str]) -> T:
    """``write()``'s answer; a service's (Django) ValidationError becomes a 400 naming each
    field as the client wrote it: ``field_names`` maps the service's (model's) field names
    to the input's (``{"after_order_days": "trigger.days"}``), others are kept."""
    try:
        return write()
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise exceptions.ValidationError(exc.messages) from exc
        raise exceptions.ValidationError(
            {
                _client_name(name, field_names): [m for e in errors for m in e.messages]
                for name, errors in exc.error_dict.items()
            }
        ) from exc


def _client_name(name: str, field_names: Mapping[str, str]) -> str:
    if name == NON_FIELD_ERRORS:
        return str(api_settings.NON_FIELD_ERRORS_KEY)
    return field_names.get(name, name)


def validation_errors(detail: Any) -> list[dict[str, Any]]:
    """A ValidationError's detail as a flat list of errors with dotted field paths.

    A list of objects at the top (the errors of a list of items) gives each error its item's
    ``index``; the non-field errors key and a bare list give ``field: null``.
    """
    if isinstance(detail, list) and any(isinstance(item, dict) for item in detail):
        errors = []
        for index, item in enumerate(detail):
            for error in _flatten(item, ()):
                errors.append({"index": index, **error})
        return errors
    return list(_flatten(detail, ()))


def _flatten(detail: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            nested = path if key == api_settings.NON_FIELD_ERRORS_KEY else (*path, str(key))
            errors.extend(_flatten(value, nested))
        return errors
    if isinstance(detail, list):
        errors = []
        for position, value in enumerate(detail):
            # A list of messages belongs to its field; a list of objects is a list field's
            # items, each addressed by its position.
            nested = (*path, str(position)) if isinstance(value, dict | list) else path
            errors.extend(_flatten(value, nested))
        return errors
    return [_error(".".join(path) or None, detail, "invalid")]


def _error(field: str | None, detail: Any, default_code: str) -> dict[str, Any]:
    code = getattr(detail, "code", None) or default_code
    return {"field": field, "code": str(code), "message": str(detail)}
