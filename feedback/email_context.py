"""What a survey's invitation email shows: its question and the 0–10 scale of links.

Registered for the ``feedback`` campaigns (``FeedbackConfig.ready``) with
:func:`campaigns.content.extensions.context_provider_register`. Each number of the scale
links to the answer page with that score chosen; following a link only shows the form
(mail scanners follow every link), and the links are sent untracked, since they carry the
invitation's token, which is never stored.

The context, under ``survey`` (in the customer's language, else the shop's)::

    subject, intro, question, url, least_likely, most_likely, expires_on,
    scale: [{score, url}, ...]  (0 to 10)
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from campaigns.content.extensions import ContextProvider, Recipient
from campaigns.models import Campaign
from feedback.models import SURVEY_LANGUAGES, Survey
from feedback.tokens import token_of

ANSWER_PATH = "/s/"
SCORES = range(11)

INVITATIONS_OF_MESSAGES = """
    SELECT m.id, i.salt, i.expires_at, COALESCE(cu.language, '')
    FROM campaigns_message m
    JOIN feedback_invitation i
        ON i.survey_id = %s AND i.trigger_ref = m.trigger_ref AND i.customer_id = m.customer_id
    LEFT JOIN customers_customer cu ON cu.id = m.customer_id
    WHERE m.campaign_id = %s AND m.id IN ({ids})
"""


def answer_url(token: str, score: int | None = None) -> str:
    """The answer page of ``token``, with ``score`` chosen when given."""
    url = f"{settings.SITE_URL}{ANSWER_PATH}{token}/"
    return url if score is None else f"{url}?score={score}"


def survey_contexts(
    campaign: Campaign, recipients: Sequence[Recipient]
) -> dict[int, dict[str, Any]]:
    """The ``survey`` context of each message of a survey's campaign (two queries: the
    survey, and the messages' invitations with their customers' languages)."""
    survey = Survey.objects.filter(campaign_id=campaign.pk).first()
    if survey is None or not recipients:
        return {}
    ids = [r.message_id for r in recipients]
    with connection.cursor() as cursor:
        cursor.execute(
            INVITATIONS_OF_MESSAGES.format(ids=", ".join(["%s"] * len(ids))),
            [survey.pk, campaign.pk, *ids],
        )
        rows = cursor.fetchall()
    return {
        message_id: {"survey": _context(survey, salt, expires_at, language)}
        for message_id, salt, expires_at, language in rows
    }


def _context(survey: Survey, salt: str, expires_at: Any, language: str) -> dict[str, Any]:
    language = language if language in SURVEY_LANGUAGES else settings.LANGUAGE_CODE
    token = token_of(salt)
    with translation.override(language):
        return {
            "subject": gettext("A quick question from %(shop)s") % {"shop": settings.SHOP_NAME},
            "intro": gettext("Choose a number: one tap opens the page where you confirm it."),
            "question": survey.question_in(language),
            "url": answer_url(token),
            "least_likely": gettext("Not at all likely"),
            "most_likely": gettext("Extremely likely"),
            "expires_on": _day(expires_at),
            "scale": [{"score": score, "url": answer_url(token, score)} for score in SCORES],
        }


def _day(value: datetime | str) -> date:
    """A timestamp read by raw SQL as the shop's local day (SQLite gives naive UTC, as a
    datetime or as text)."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        assert parsed is not None, value
        value = parsed
    return timezone.localdate(value if timezone.is_aware(value) else value.replace(tzinfo=UTC))


SAMPLE = {
    "survey": {
        "subject": "A quick question from Sample shop",
        "intro": "Choose a number: one tap opens the page where you confirm it.",
        "question": "How likely are you to recommend Sample shop to a friend?",
        "url": "https://shop.example/s/TOKEN/",
        "least_likely": "Not at all likely",
        "most_likely": "Extremely likely",
        "expires_on": date(2026, 1, 31),
        "scale": [
            {"score": score, "url": f"https://shop.example/s/TOKEN/?score={score}"}
            for score in SCORES
        ],
    }
}
SURVEY_CONTEXT = ContextProvider(provide=survey_contexts, sample=SAMPLE, empty_sample=SAMPLE)
