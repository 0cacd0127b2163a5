"""The staff forms of campaigns: a campaign's fields, its variants, the activation choice.

The forms only read what was typed; every rule (templates, the arms fixed once active) is
the services' (``campaigns.services.campaigns``), whose errors the views put back on the
fields they name.
"""

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import BLANK_CHOICE_DASH
from django.forms import BaseFormSet, formset_factory

from campaigns.models import STAFF_TRIGGER_CHOICES, Campaign, Variant
from campaigns.services.campaigns import CONTENT_FIELDS, LIVE_EDITABLE

CAMPAIGN_FIELDS = (
    "name",
    "description",
    "trigger",
    "segment",
    "tier",
    "include_current_members",
    "repeat_every_days",
    "holdout_percent",
    "attribution_days",
    "auto_winner",
    "winner_metric",
    "winner_minimum_per_arm",
    "winner_alpha",
    "priority",
    "from_email",
    "reply_to",
    "offer_codes",
    "offer_code",
)
MAX_VARIANTS = 10


class CampaignForm(forms.ModelForm):
    """A campaign's own fields; once activated, those that decide the arms are shown fixed."""

    class Meta:
        model = Campaign
        fields = CAMPAIGN_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_live:
            # A direct campaign is made by the app that enrols it (a survey), not here.
            trigger = self.fields["trigger"]
            assert isinstance(trigger, forms.ChoiceField)
            trigger.choices = [*BLANK_CHOICE_DASH, *STAFF_TRIGGER_CHOICES]
        if self.is_live:
            for name, formfield in self.fields.items():
                if name not in LIVE_EDITABLE:
                    formfield.disabled = True

    @property
    def is_live(self) -> bool:
        """Activated at least once: only content and identity may change."""
        return self.instance.pk is not None and self.instance.status != Campaign.Status.DRAFT

    def _post_clean(self) -> None:
        # The service checks the whole campaign (and its uniqueness) when it writes it; the
        # form's instance is never saved, so it need not be checked twice.
        pass

    def service_fields(self) -> dict[str, Any]:
        """What the service is asked to write: every field of a draft, else the editable ones."""
        data = self.cleaned_data
        if self.is_live:
            return {name: data[name] for name in CAMPAIGN_FIELDS if name in LIVE_EDITABLE}
        return {name: data[name] for name in CAMPAIGN_FIELDS}


class VariantForm(forms.Form):
    """One variant: its name and weight (fixed once active) and its content."""

    name = forms.CharField(max_length=Variant._meta.get_field("name").max_length)
    weight = forms.IntegerField(min_value=1, max_value=1000, initial=1)
    subject = forms.CharField(max_length=Variant._meta.get_field("subject").max_length)
    body_text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), strip=False)
    body_html = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), required=False, strip=False
    )


class BaseVariantFormSet(BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        names = [
            form.cleaned_data["name"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not names:
            raise ValidationError("A campaign needs at least one variant.")
        if len(set(names)) != len(names):
            raise ValidationError("Each variant needs its own name.")

    def service_variants(self, *, live: bool) -> list[dict[str, Any]]:
        """The variants for the service: a draft's whole list, or a live one's content."""
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        names = ("name", *CONTENT_FIELDS) if live else ("name", "weight", *CONTENT_FIELDS)
        return [{name: data[name] for name in names} for data in kept]


def variant_formset(data: Any, campaign: Campaign | None) -> BaseVariantFormSet:
    """The variants' forms: a draft may add and remove them; a live campaign's names and
    weights are shown fixed and only their content is edited."""
    live = campaign is not None and campaign.status != Campaign.Status.DRAFT
    existing = list(campaign.variants.order_by("id")) if campaign and campaign.pk else []
    initial = [
        {name: getattr(v, name) for name in ("name", "weight", *CONTENT_FIELDS)} for v in existing
    ]
    formset_class = formset_factory(
        VariantForm,
        formset=BaseVariantFormSet,
        extra=0 if live else (1 if existing else 2),
        can_delete=not live,
        max_num=len(existing) if live else MAX_VARIANTS,
        validate_max=True,
        absolute_max=MAX_VARIANTS,
    )
    formset = cast(BaseVariantFormSet, formset_class(data, initial=initial, prefix="variants"))
    if live:
        for form in formset.forms:
            form.fields["name"].disabled = True
            form.fields["weight"].disabled = True
    return formset


class ActivateForm(forms.Form):
    """On first activation of a segment campaign: who is enrolled."""

    include_current_members = forms.TypedChoiceField(
        choices=[
            ("false", "Only customers who enter the segment from now on"),
            ("true", "Also everyone in the segment now, once"),
        ],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        required=False,
        empty_value=None,
    )
