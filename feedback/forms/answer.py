"""The answer form: a score 0–10 and an optional comment."""

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models.responses import COMMENT_MAX_LENGTH

SCORE_CHOICES = [(score, str(score)) for score in range(11)]
_SCORE_TEXTS = frozenset(str(score) for score in range(11))


class AnswerForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose a number from 0 to 10."),
            "invalid_choice": _("Please choose a number from 0 to 10."),
        },
    )
    comment = forms.CharField(
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": COMMENT_MAX_LENGTH}),
    )


def score_from_link(value: str | None) -> int | None:
    """The score a link chose (``?score=7``): an integer 0–10, else None (nothing chosen)."""
    return int(value) if value in _SCORE_TEXTS else None
