"""The feedback app's forms: the public answer form, and the staff pages' forms."""

from feedback.forms.answer import AnswerForm, score_from_link

__all__ = ["AnswerForm", "score_from_link"]
