"""The audit log's one write: :func:`audit_record`, called inside each staff write.

Every staff write records one :class:`~clvcrm.core.models.AuditEntry`: the services of
the apps record theirs when a staff ``actor`` is given (the pages and the API pass the
user; the pipeline's own writes pass none and are not staff writes), and every Django
admin add, change and delete is recorded by the admin site
(:mod:`clvcrm.core.admin_site`). Values are made JSON-safe and cut to
:data:`VALUE_MAX_CHARS`; personal fields are recorded as changed, never with their values.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Model

from clvcrm.core.models import AuditEntry

VALUE_MAX_CHARS = 500
CHANGED = "(changed)"
# Fields whose values are personal or secret, by model label: recorded as changed only.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "customers.customer": frozenset({"email", "first_name", "last_name", "phone", "birthday"}),
    "auth.user": frozenset({"password", "email", "first_name", "last_name"}),
    # Copies of a customer's address and of what was sent to them (the admin shows both).
    "campaigns.suppression": frozenset({"email", "detail"}),
    "campaigns.message": frozenset({"to_email", "subject", "last_error"}),
    # Free text staff write about a customer may name people: never copied either.
    "customers.customernote": frozenset({"body"}),
    "customers.customertask": frozenset({"title", "description"}),
}
# Whatever the model, a field with one of these names is never copied either.
SECRET_FIELD_NAMES = frozenset({"password", "key_hash", "token_hash", "salt", "secret"})


def audit_record(
    *,
    actor: Any,
    action: str,
    target: Model | None = None,
    changes: Mapping[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """Record that ``actor`` (a user) did ``action`` (``"campaign.activate"``) to ``target``.

    ``changes`` maps a field to ``(before, after)``, or is any JSON-safe mapping of what
    the write did (``{"points": 50}``). Call it inside the write's transaction.
    """
    entry = audit_entry(actor=actor, action=action, target=target, changes=changes, note=note)
    entry.save()
    return entry


def audit_entry(
    *,
    actor: Any,
    action: str,
    target: Model | None = None,
    changes: Mapping[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """The entry :func:`audit_record` saves, unsaved (for a ``bulk_create`` of many)."""
    label = target._meta.label_lower if target is not None else ""
    return AuditEntry(
        actor_id=getattr(actor, "pk", None),
        actor_name=(getattr(actor, "get_username", lambda: "")() or "system")[:150],
        action=action[:60],
        target_type=label[:60],
        target_id=str(target.pk)[:64] if target is not None else "",
        target_label=_target_label(target)[:200],
        changes=_safe(dict(changes or {}), label),
        note=note[:500],
    )


def audit_diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, model_label: str = ""
) -> dict[str, Any]:
    """The fields whose values differ, as ``{field: [before, after]}``; personal and
    secret fields as ``{field: "(changed)"}``."""
    hidden = PERSONAL_FIELDS.get(model_label, frozenset()) | SECRET_FIELD_NAMES
    differences: dict[str, Any] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        differences[name] = CHANGED if name in hidden else [_value(old), _value(new)]
    return differences


def audit_snapshot(instance: Model, *, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """``instance``'s concrete field values (and its many-to-many ids, when saved), by name."""
    names = set(fields) if fields is not None else None
    snapshot: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if names is None or field.name in names:
            snapshot[field.name] = getattr(instance, field.attname)
    if instance.pk is not None:
        for field in instance._meta.many_to_many:
            if names is None or field.name in names:
                snapshot[field.name] = sorted(
                    getattr(instance, field.name).values_list("pk", flat=True)
                )
    return snapshot


def _target_label(target: Model | None) -> str:
    """Names the record without anything personal: a customer is their id, not their name."""
    if target is None:
        return ""
    if target._meta.label_lower in PERSONAL_FIELDS:
        return f"{target._meta.verbose_name} {target.pk}"
    return str(target)


def _safe(changes: dict[str, Any], model_label: str) -> dict[str, Any]:
    hidden = PERSONAL_FIELDS.get(model_label, frozenset()) | SECRET_FIELD_NAMES
    return {
        name: CHANGED if name in hidden and value != CHANGED else _value(value)
        for name, value in changes.items()
    }


def _value(value: Any) -> Any:
    """A JSON-safe copy of ``value``, texts cut to :data:`VALUE_MAX_CHARS`."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_value(item) for item in value][:100]
    if isinstance(value, dict):
        return {str(k)[:100]: _value(v) for k, v in list(value.items())[:100]}
    return str(value)[:VALUE_MAX_CHARS]
