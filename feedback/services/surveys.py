"""Create surveys, each with the feedback campaign that sends its invitations."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignKind
from campaigns.services.direct import direct_campaign_create, direct_campaign_update
from clvcrm.core.audit import audit_diff, audit_record, audit_snapshot
from feedback.models import Survey, SurveyTrigger
from feedback.services.follow_ups import follow_up_configure, follow_up_rename

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


# What the staff form and the API may change after creation (the rest is the app's), in
# the order the staff form shows them.
EDITABLE_FIELD_ORDER = (
    "name",
    "question_en",
    "question_zh_hans",
    "question_ru",
    "open_question_en",
    "open_question_zh_hans",
    "open_question_ru",
    "trigger",
    "after_order_days",
    "segment",
    "every_days",
    "throttle_days",
    "active_from",
    "active_until",
)
EDITABLE_FIELDS = frozenset(EDITABLE_FIELD_ORDER)
FOLLOW_UP = "promoter_follow_up"


def survey_create(*, fields: Mapping[str, Any], created_by: Any = None) -> Survey:
    """Create a survey and its active feedback campaign (one variant: the invitation email,
    no holdout). ValidationError by field name.

    ``fields`` are the survey's own (name, questions, trigger and its settings, throttle,
    active dates), and optionally ``promoter_follow_up``: the follow-up email's
    ``subject``, ``body_text`` and ``body_html`` (:mod:`feedback.services.follow_ups`), or
    None. A periodic survey's first send is due when it becomes active.
    """
    own = {name: value for name, value in fields.items() if name != FOLLOW_UP}
    with transaction.atomic():
        survey = Survey(**own, created_by=created_by)
        survey_check(survey)
        survey.campaign = invitation_campaign_create(name=survey.name, created_by=created_by)
        if survey.trigger == SurveyTrigger.PERIODIC:
            survey.next_run_at = survey.active_from or timezone.now()
        follow_up_configure(survey=survey, content=fields.get(FOLLOW_UP), created_by=created_by)
        survey.save()
        if created_by is not None:
            _audit(created_by, "survey.create", survey, {}, fields)
    return survey


def survey_update(*, survey_id: int, fields: Mapping[str, Any], changed_by: Any = None) -> Survey:
    """Change the survey ``survey_id``: the :data:`EDITABLE_FIELDS` named in ``fields``
    and, when ``promoter_follow_up`` is named, its follow-up email (None: none).

    Its campaigns are renamed with it. A trigger changed to periodic is due when the survey
    is active; one changed to after-order starts from the orders of the day its days
    name. ValidationError by field name; nothing is written then.
    """
    unknown = sorted(set(fields) - EDITABLE_FIELDS - {FOLLOW_UP})
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Cannot be changed."))
    with transaction.atomic(durable=True):
        survey = Survey.objects.select_for_update().get(pk=survey_id)
        snapshot = audit_snapshot(survey)
        before = Survey(trigger=survey.trigger, name=survey.name)
        for name, value in fields.items():
            if name != FOLLOW_UP:
                setattr(survey, name, value)
        survey_check(survey)
        _trigger_changed(survey, before.trigger)
        if survey.name != before.name:
            _campaigns_rename(survey)
        if FOLLOW_UP in fields:
            follow_up_configure(survey=survey, content=fields[FOLLOW_UP], created_by=changed_by)
        survey.save()
        if changed_by is not None:
            _audit(changed_by, "survey.update", survey, snapshot, fields)
    return survey


def _audit(
    actor: Any, action: str, survey: Survey, before: dict[str, Any], fields: Mapping[str, Any]
) -> None:
    """A staff write of a survey: its fields that changed, and whether the follow-up email
    was set (its content is the follow-up campaign's, audited there by its fields)."""
    changes = audit_diff(before, audit_snapshot(survey))
    if FOLLOW_UP in fields:
        changes[FOLLOW_UP] = "set" if fields[FOLLOW_UP] is not None else "none"
    audit_record(actor=actor, action=action, target=survey, changes=changes)


def _trigger_changed(survey: Survey, previous: str) -> None:
    if survey.trigger != SurveyTrigger.PERIODIC:
        survey.next_run_at = None
    elif previous != SurveyTrigger.PERIODIC or survey.next_run_at is None:
        survey.next_run_at = survey.active_from or timezone.now()
    if survey.trigger != SurveyTrigger.AFTER_ORDER:
        survey.orders_through = None


def _campaigns_rename(survey: Survey) -> None:
    try:
        direct_campaign_update(
            campaign_id=survey.campaign_id, name=f"{CAMPAIGN_NAME_PREFIX}{survey.name}"[:200]
        )
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from exc
    follow_up_rename(survey=survey)


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
