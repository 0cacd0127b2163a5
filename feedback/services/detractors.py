"""The follow-up a detractor's answer opens: a task for Support on the customer's record.

Opened in the answer's transaction by ``feedback.services.responses``, once per response
(its key ``nps-response:<id>``): storing the answer and changing it to a detractor's score
open the same task, at most once. The task is due sooner the more valuable the customer:
``FEEDBACK_FOLLOW_UP_BANDS`` maps a top share of the latest CLV run's predicted CLV to days.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.text import Truncator

from customers.clv_runs.value_bands import customer_value
from customers.models import CustomerTask
from customers.services.interactions import TaskOpened, task_open_once
from feedback.models import Response, ScoreCategory

logger = logging.getLogger(__name__)


def detractor_follow_up_open(*, response: Response, survey_name: str) -> TaskOpened | None:
    """Open the follow-up task of ``response`` if it is a detractor's (0–6); ``None`` for
    a passive or a promoter. Two queries (the customer's value band, the insert) and one
    more to read the task back; one more with ``FEEDBACK_FOLLOW_UP_ASSIGNEE`` set."""
    if ScoreCategory.of(response.score) != ScoreCategory.DETRACTOR:
        return None
    days = follow_up_days(customer_id=response.customer_id)
    said = f" and said: “{response.comment}”" if response.comment else " (no comment)"
    return task_open_once(
        customer_id=response.customer_id,
        source=CustomerTask.Source.NPS_DETRACTOR,
        source_key=f"nps-response:{response.pk}",
        title=f"NPS detractor: scored {response.score}/10 — " + Truncator(survey_name).chars(60),
        description=f"The customer answered {response.score} of 10 to “{survey_name}”{said}",
        due_on=timezone.localdate(response.answered_at) + timedelta(days=days),
        assignee_id=_assignee_id(),
    )


def follow_up_days(*, customer_id: int) -> int:
    """Days to the follow-up's due date: the narrowest configured top share of predicted
    CLV the customer is in, else ``FEEDBACK_FOLLOW_UP_DAYS`` (also without a prediction)."""
    bands = dict(settings.FEEDBACK_FOLLOW_UP_BANDS)
    value = customer_value(customer_id=customer_id, percents=bands)
    top = value.top_percent() if value is not None else None
    return settings.FEEDBACK_FOLLOW_UP_DAYS if top is None else bands[top]


def _assignee_id() -> int | None:
    username = settings.FEEDBACK_FOLLOW_UP_ASSIGNEE
    if not username:
        return None
    user_id = (
        User.objects.filter(username=username, is_active=True).values_list("pk", flat=True).first()
    )
    if user_id is None:
        logger.warning("FEEDBACK_FOLLOW_UP_ASSIGNEE=%r is no active user: unassigned", username)
    return user_id
