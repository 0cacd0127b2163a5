"""The custom segment form: name and description, then rule rows (all must hold)."""

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from customers.models import DefaultSegment, Segment
from customers.segments.rules import OPERATORS, RULE_FIELDS, rules_clean

RULE_ROWS = 5


class CustomSegmentForm(forms.ModelForm):
    """A custom segment's name, code (from the name when left empty) and description."""

    code = forms.SlugField(
        max_length=50, required=False, help_text="Short id for links and exports (optional)."
    )

    class Meta:
        model = Segment
        fields = ["name", "code", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def clean_code(self) -> str:
        code = self.cleaned_data.get("code") or slugify(self.cleaned_data.get("name", ""))[:50]
        if not code:
            raise ValidationError("Give the segment a name or a code.")
        if code in DefaultSegment.values:
            raise ValidationError(f"{code!r} is a default segment's code.")
        taken = Segment.objects.filter(code=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(f"Another segment already has the code {code!r}.")
        return code


class RuleForm(forms.Form):
    """One rule row; an empty row is ignored."""

    field = forms.ChoiceField(
        choices=[("", "—")] + [(name, f.label) for name, f in RULE_FIELDS.items()],
        required=False,
    )
    op = forms.ChoiceField(
        choices=[(name, label) for name, (label, _) in OPERATORS.items()], required=False
    )
    value = forms.CharField(max_length=200, required=False)


class BaseRuleFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        try:
            self.rules = rules_clean(self.filled_rules())
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def filled_rules(self) -> list[dict[str, Any]]:
        return [
            {
                "field": f.cleaned_data["field"],
                "op": f.cleaned_data["op"],
                "value": f.cleaned_data["value"],
            }
            for f in self.forms
            if f.cleaned_data.get("field")
        ]


# formset_factory's stubs return the base class; the class it makes derives from ``formset``.
RuleFormSet = cast(
    type[BaseRuleFormSet], forms.formset_factory(RuleForm, formset=BaseRuleFormSet, extra=0)
)


def rule_formset(data: Any = None, rules: list[dict[str, Any]] | None = None) -> BaseRuleFormSet:
    """The rule rows: the segment's rules, then empty rows up to ``RULE_ROWS``."""
    initial = list(rules or [])
    initial += [{}] * max(RULE_ROWS - len(initial), 1)
    return RuleFormSet(data, initial=initial, prefix="rules")
