"""Panels other apps add to the customer page, without the customers app importing them.

INTERFACE (apps register in their ``AppConfig.ready``; customers never imports them):

- :func:`record_panel_register` — a :class:`RecordPanel`: its title, the template that
  draws it (a ``<section class="card">``, given the panel's context as ``panel``), a
  ``provide(customer) -> dict`` that reads what it shows in a fixed, small number of
  queries whatever the customer's history (every list bounded by a LIMIT over an index),
  the permissions a staff member needs to see it, and its place among the panels (lower
  ``order`` first). ``campaigns`` adds the customer's messages, ``feedback`` their NPS
  answers.
- :func:`record_panels_for` — the panels a user may see, in order, each with its context:
  what the customer page renders after its own cards.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from customers.models import Customer

Provide = Callable[["Customer"], Mapping[str, Any]]


@dataclass(frozen=True)
class RecordPanel:
    """One panel of the customer page; ``key`` names it (and its HTML id) once."""

    key: str
    title: str
    template_name: str
    provide: Provide
    permissions: tuple[str, ...]
    order: int = 100


@dataclass(frozen=True)
class RenderedPanel:
    """A panel with the context it provided for one customer."""

    panel: RecordPanel
    context: Mapping[str, Any]


_panels: dict[str, RecordPanel] = {}


def record_panel_register(panel: RecordPanel) -> None:
    """Show ``panel`` on every customer page; registering a key again replaces its panel
    (``ready`` may run more than once in tests)."""
    _panels[panel.key] = panel


def record_panels() -> list[RecordPanel]:
    """Every registered panel, in order (then by key, so the order is stable)."""
    return sorted(_panels.values(), key=lambda panel: (panel.order, panel.key))


def record_panels_for(customer: "Customer", user: "User | AnonymousUser") -> list[RenderedPanel]:
    """The panels ``user`` holds the permissions of, each with its context for
    ``customer``: the queries of those panels only (the permissions are cached on the user
    once the page has read them)."""
    return [
        RenderedPanel(panel, panel.provide(customer))
        for panel in record_panels()
        if user.has_perms(panel.permissions)
    ]
