"""The feedback app's models: surveys, their invitations and the responses."""

from feedback.models.invitations import Invitation
from feedback.models.responses import Response, ScoreCategory
from feedback.models.surveys import DEFAULT_QUESTIONS, SURVEY_LANGUAGES, Survey, SurveyTrigger

__all__ = [
    "DEFAULT_QUESTIONS",
    "SURVEY_LANGUAGES",
    "Invitation",
    "Response",
    "ScoreCategory",
    "Survey",
    "SurveyTrigger",
]
