"""Create surveys, each with the feedback campaign that sends its invitations."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignKind
from campaigns.services.direct import direct_campaign_create
from feedback.models import Survey, SurveyTrigger

# The invitation email: the single variant of the survey's campaign. Every text comes from
# the ``survey`` context (feedback.email_context), already in the customer's language.
INVITATION_SUBJECT = "{{ survey.subject }}"
INVITATION_TEXT = """{{ survey.question }}

{{ survey.intro }}
{% for point in survey.scale %}{{ point.score }}: {{ point.url }}
{% endfor %}
0 = {{ survey.least_likely }}, 10 = {{ survey.most_likely }}
"""
_NUMBER_STYLE = (
    "display:inline-block;min-width:32px;padding:10px 0;text-align:center;"
    "border:1px solid #9aa5b1;border-radius:4px;color:#1f2933;text-decoration:none;"
    "font-weight:600"
)
INVITATION_HTML = (
    '<html><body style="font-family:system-ui,sans-serif;color:#1f2933">\n'
    '<p style="font-size:18px;font-weight:600">{{ survey.question }}</p>\n'
    "<p>{{ survey.intro }}</p>\n"
    '<table role="presentation" cellspacing="0" cellpadding="0"><tr>\n'
    "{% for point in survey.scale %}"
    f'<td style="padding:2px"><a href="{{{{ point.url }}}}" style="{_NUMBER_STYLE}">'
    "{{ point.score }}</a></td>\n"
    "{% endfor %}</tr></table>\n"
    '<p style="font-size:13px;color:#52606d">'
    "0 = {{ survey.least_likely }} · 10 = {{ survey.most_likely }}</p>\n"
    "</body></html>\n"
)
CAMPAIGN_NAME_PREFIX = "Survey: "


def survey_create(*, fields: Mapping[str, Any], created_by: Any = None) -> Survey:
    """Create a survey and its active feedback campaign (one variant: the invitation email,
    no holdout). ValidationError by field name.

    ``fields`` are the survey's own (name, questions, trigger and its settings, active
    dates). A periodic survey's first send is due when it becomes active.
    """
    with transaction.atomic():
        survey = Survey(**fields, created_by=created_by)
        survey_check(survey)
        survey.campaign = invitation_campaign_create(name=survey.name, created_by=created_by)
        if survey.trigger == SurveyTrigger.PERIODIC:
            survey.next_run_at = survey.active_from or timezone.now()
        survey.save()
    return survey


def invitation_campaign_create(*, name: str, created_by: Any = None) -> Campaign:
    """The feedback campaign that sends the invitations of the survey ``name``."""
    return direct_campaign_create(
        name=f"{CAMPAIGN_NAME_PREFIX}{name}"[:200],
        kind=CampaignKind.FEEDBACK,
        variant={
            "name": "Invitation",
            "subject": INVITATION_SUBJECT,
            "body_text": INVITATION_TEXT,
            "body_html": INVITATION_HTML,
        },
        created_by=created_by,
    )


def survey_check(survey: Survey) -> None:
    """Raise ValidationError, by field, for a survey the service would not save (the admin
    runs it on what was typed)."""
    # The constraints are checked below, each on its field.
    survey.full_clean(exclude=["campaign", "created_by"], validate_constraints=False)
    errors: dict[str, str] = {}
    if survey.trigger == SurveyTrigger.AFTER_ORDER and survey.after_order_days is None:
        errors["after_order_days"] = "An after-order survey needs the days after the order."
    if survey.trigger == SurveyTrigger.PERIODIC:
        if survey.segment_id is None:
            errors["segment"] = "A periodic survey needs a segment."
        if not survey.every_days:
            errors["every_days"] = "A periodic survey needs the days between sends."
    if survey.active_from and survey.active_until and survey.active_until <= survey.active_from:
        errors["active_until"] = "Must be after the start."
    if errors:
        raise ValidationError(errors)
