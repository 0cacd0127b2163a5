"""Which tables mention a customer, found from the models themselves.

A table mentions a customer by a key (a foreign or one-to-one key to ``Customer``, or a key
to a row that has one: an order's lines, a message's events) or by text (an address in the
suppression list, a cell in an import's report, a shop's raw webhook body). The keys are
found by walking every installed model's fields (:func:`customer_tables`), so a model added
later is found without anyone listing it; what the erase does to each is decided by name in
:mod:`clvcrm.workspace.privacy.erase`, and a test fails while a found table has no decision.
The text references cannot be found that way: they are listed here
(:data:`TEXT_REFERENCES`) with the query that finds a customer's rows.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import Model, Q, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Lower

from campaigns.models import Suppression
from clvcrm.core.models import AuditEntry, IdempotencyKey, TaskFailure
from customers.models import Customer, ImportRejection, Order, ShopRefund, WebhookEvent

# Keys are followed this many steps from the customer (order → line is two); no model of
# the project is further away, and the guard test would show one that is.
MAX_HOPS = 3


@dataclass(frozen=True)
class CustomerTable:
    """A model whose rows point at a customer, and the lookups from it to the customer."""

    model: type[Model]
    paths: tuple[str, ...]  # "customer", "order__customer": any of them names the customer

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def rows_of(self, customer_id: int) -> QuerySet[Model]:
        """The rows of the customer (one query, whatever their number)."""
        match = reduce(or_, (Q(**{path: customer_id}) for path in self.paths))
        return self.model._default_manager.filter(match)


def customer_tables() -> list[CustomerTable]:
    """Every installed model that points at a customer by key, nearest first: those with a
    key to ``Customer``, then those with a key to one of them, and so on (``MAX_HOPS``).
    ``Customer`` itself comes first."""
    found: dict[type[Model], tuple[str, ...]] = {Customer: ("pk",)}
    frontier: dict[type[Model], tuple[str, ...]] = {Customer: ("",)}
    for _ in range(MAX_HOPS):
        reached: dict[type[Model], list[str]] = {}
        for model in apps.get_models():
            if model in found:
                continue
            for field in model._meta.concrete_fields:
                target = field.related_model if field.is_relation else None
                if target in frontier:
                    for rest in frontier[target]:
                        path = f"{field.name}__{rest}" if rest else field.name
                        reached.setdefault(model, []).append(path)
        frontier = {model: tuple(paths) for model, paths in reached.items()}
        found.update(frontier)
    return [CustomerTable(model, paths) for model, paths in found.items()]


@dataclass(frozen=True)
class Mentions:
    """What a customer is known by in text: their address, names, phone, shop id and their
    orders' shop ids. Read from the customer's row before the erase empties it."""

    customer_id: int
    external_id: str
    email: str
    personal_values: tuple[str, ...]  # email, names, phone: non-empty ones

    @classmethod
    def of(cls, customer: Customer) -> "Mentions":
        values = (customer.email, customer.first_name, customer.last_name, customer.phone)
        return cls(
            customer_id=customer.pk,
            external_id=customer.external_id,
            email=customer.email,
            personal_values=tuple(v for v in values if v),
        )

    def order_ids(self) -> QuerySet[Order, Any]:
        """The customer's orders' shop ids, as a subquery (never fetched row by row)."""
        return Order.objects.filter(customer_id=self.customer_id).values("external_id")


def _suppressions(mentions: Mentions) -> QuerySet[Model]:
    if not mentions.email:
        return Suppression.objects.none()
    return Suppression.objects.annotate(address=Lower("email")).filter(
        address=mentions.email.lower()
    )


def _import_rejections(mentions: Mentions) -> QuerySet[Model]:
    """Report lines of the customer's orders, or whose cell holds a personal value of theirs
    (a rejected row of a new order can hold their address before any order is theirs)."""
    match = Q(order_id__in=mentions.order_ids())
    if mentions.personal_values:
        values = [value.lower() for value in mentions.personal_values]
        match |= Q(value_lower__in=values)
    return ImportRejection.objects.annotate(value_lower=Lower("value")).filter(match)


def _webhook_events(mentions: Mentions) -> QuerySet[Model]:
    """Deliveries of the customer's orders, or whose raw body holds their address."""
    match = Q(order_id__in=mentions.order_ids())
    if mentions.email:
        contains = _BODY_CONTAINS[connection.vendor]
        sql = f"SELECT id FROM {WebhookEvent._meta.db_table} WHERE {contains}"
        match |= Q(id__in=RawSQL(sql, [mentions.email.encode()]))
    return WebhookEvent.objects.filter(match)


# The raw body (bytes) holds the address as the shop wrote it.
_BODY_CONTAINS = {
    "postgresql": "position(%s::bytea in body) > 0",
    "sqlite": "instr(body, %s) > 0",
}


def _text_mentions(model: type[Model], *fields: str) -> Callable[[Mentions], QuerySet[Model]]:
    """Rows of ``model`` whose ``fields`` (text or JSON) contain the customer's address."""

    def rows(mentions: Mentions) -> QuerySet[Model]:
        if not mentions.email:
            return model._default_manager.none()
        texts = {f"{field}_text": Cast(field, TextField()) for field in fields}
        match = reduce(or_, (Q(**{f"{name}__icontains": mentions.email}) for name in texts))
        return model._default_manager.annotate(**texts).filter(match)

    return rows


def _shop_refunds(mentions: Mentions) -> QuerySet[Model]:
    return ShopRefund.objects.filter(order_id__in=mentions.order_ids())


def _audit_entries(mentions: Mentions) -> QuerySet[Model]:
    return AuditEntry.objects.filter(
        target_type=Customer._meta.label_lower, target_id=str(mentions.customer_id)
    )


@dataclass(frozen=True)
class TextReference:
    """A table that names a customer by text, and the query that finds their rows."""

    model: type[Model]
    rows_of: Callable[[Mentions], QuerySet[Model]]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


TEXT_REFERENCES: tuple[TextReference, ...] = (
    TextReference(Suppression, _suppressions),
    TextReference(ImportRejection, _import_rejections),
    TextReference(WebhookEvent, _webhook_events),
    TextReference(ShopRefund, _shop_refunds),
    TextReference(IdempotencyKey, _text_mentions(IdempotencyKey, "response")),
    TextReference(TaskFailure, _text_mentions(TaskFailure, "arguments", "exception", "traceback")),
    TextReference(AuditEntry, _audit_entries),
)
