"""The project's admin site: every model admin on it checks what the address asks for.

Django's admin turns most bad query parameters into its "invalid lookup" page, but not all:
an empty ``?_to_field=`` names no field on the change and delete pages, a date hierarchy year
of 9999 overflows the year after it, a search of thousands of words builds a query SQLite
cannot parse, and SQLite can bind neither an id beyond 64 bits nor a moment before year 1
in UTC (midnight of 0001-01-01 east of UTC). The site wraps each model admin registered on
it (ours and other apps' alike, so an app added later is covered) in
:class:`CheckedParametersAdmin`, which refuses those the way the admin refuses the others.
"""

from functools import cache
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList, ChangeListSearchForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from clvcrm.core.audit import audit_diff, audit_entry, audit_record, audit_snapshot
from clvcrm.core.input_values import (
    EARLIEST_DAY,
    INTEGER_KINDS,
    LATEST_DAY,
    InputValueError,
    integer_from_text,
    integer_range_of,
)
from clvcrm.core.models import AuditEntry

# The customer list's search takes as much; a longer text is not a search anyone types.
MAX_SEARCH_LENGTH = 200
DATE_HIERARCHY_PARTS = {
    "year": (EARLIEST_DAY.year, LATEST_DAY.year),
    "month": (1, 12),
    "day": (1, 31),
}


class CheckedSearchForm(ChangeListSearchForm):
    """The changelist's search box, refusing a text longer than :data:`MAX_SEARCH_LENGTH`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {
            SEARCH_VAR: forms.CharField(required=False, strip=False, max_length=MAX_SEARCH_LENGTH)
        }


class CheckedChangeList(ChangeList):
    """A changelist whose date hierarchy and integer lookups stay within what can be stored."""

    search_form_class = CheckedSearchForm

    def get_filters(self, request: HttpRequest) -> Any:
        if self.date_hierarchy:
            self._check_date_hierarchy()
        return super().get_filters(request)

    def _check_date_hierarchy(self) -> None:
        """Year, month and day of the date hierarchy: ASCII digits within the calendar."""
        for part, (low, high) in DATE_HIERARCHY_PARTS.items():
            for text in self.filter_params.get(f"{self.date_hierarchy}__{part}", []):
                try:
                    integer_from_text(text, minimum=low, maximum=high)
                except InputValueError as exc:
                    raise IncorrectLookupParameters(f"{part}: {exc}") from None

    def get_results(self, request: HttpRequest) -> None:
        try:
            super().get_results(request)
        except OverflowError as exc:  # SQLite: an integer past 64 bits, a moment before year 1
            raise IncorrectLookupParameters(exc) from exc


@cache
def _checked_changelist(changelist: type[ChangeList]) -> type[ChangeList]:
    """``changelist`` with the checks of :class:`CheckedChangeList` (one class per kind)."""
    if issubclass(changelist, CheckedChangeList):
        return changelist
    return type(f"Checked{changelist.__name__}", (CheckedChangeList, changelist), {})


class CheckedParametersAdmin(admin.ModelAdmin):
    """A model admin that refuses object ids and changelist parameters it cannot use, and
    records every add, change and delete in the audit log (``clvcrm.core.audit``) in the
    admin's own transaction, with the values before and after."""

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        after = audit_snapshot(obj)
        label = obj._meta.label_lower
        changes = audit_diff({}, after, model_label=label)
        audit_record(actor=request.user, action=f"{label}.add", target=obj, changes=changes)
        return entry

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        label = obj._meta.label_lower
        before = _audit_before(request).pop((label, str(obj.pk)), {})
        changes = audit_diff(before, audit_snapshot(obj), model_label=label)
        audit_record(actor=request.user, action=f"{label}.change", target=obj, changes=changes)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: QuerySet) -> Any:
        entries = []
        for obj in queryset:
            label = obj._meta.label_lower
            concrete = [field.name for field in obj._meta.concrete_fields]
            before = audit_snapshot(obj, fields=concrete)
            changes = audit_diff(before, {}, model_label=label)
            action = f"{label}.delete"
            entries.append(
                audit_entry(actor=request.user, action=action, target=obj, changes=changes)
            )
        AuditEntry.objects.bulk_create(entries)
        return super().log_deletions(request, queryset)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        changelist = super().get_changelist(request, **kwargs)
        return _checked_changelist(changelist)  # type: ignore[arg-type]  # mypy does not count a class object as Hashable

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # Each word of a search is a condition: thousands of them (from the changelist's
        # box or the autocomplete of a form) build a query SQLite refuses to parse.
        if len(search_term) > MAX_SEARCH_LENGTH:
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Model | None:
        # Django checks ``?_to_field=`` only when it is not empty, then looks the empty
        # name up as a field; an empty one means the primary key, as on the changelist.
        from_field = from_field or None
        meta = self.model._meta
        field = meta.pk if from_field is None else meta.get_field(from_field)
        target = getattr(field, "target_field", field)  # a one-to-one primary key's column
        if target.get_internal_type() in INTEGER_KINDS:
            low, high = integer_range_of(target)
            try:
                integer_from_text(str(object_id), minimum=low, maximum=high)
            except InputValueError:
                return None  # the admin's answer to an id that names no object
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":
            # The values before a change, for its audit entry (``log_change``).
            _audit_before(request)[(obj._meta.label_lower, str(obj.pk))] = audit_snapshot(obj)
        return obj


def _audit_before(request: HttpRequest) -> dict[tuple[str, str], dict[str, Any]]:
    """The objects' values as the admin found them in this request, before its change."""
    found: dict[tuple[str, str], dict[str, Any]] | None = getattr(request, "_audit_before", None)
    if found is None:
        found = {}
        request._audit_before = found  # type: ignore[attr-defined]  # a request-scoped cache
    return found


class CheckedAdminSite(admin.AdminSite):
    """The default admin site (see ``AdminConfig`` in ``clvcrm.core.apps``)."""

    def register(
        self,
        model_or_iterable: Any,
        admin_class: type[admin.ModelAdmin] | None = None,
        **options: Any,
    ) -> None:
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, CheckedParametersAdmin):
            attributes = {"__module__": base.__module__, "__qualname__": base.__qualname__}
            base = type(base.__name__, (CheckedParametersAdmin, base), attributes)
        super().register(model_or_iterable, base, **options)
