"""The demo shop's post-purchase NPS survey, with a year of answers to look at.

About 1,100 of the shop's customers were invited over the last 12 months and about 400
answered (high-value customers answer more often). Scores follow who the customer is now:
at-risk and churned customers are mostly detractors, high-value ones mostly promoters, and
the shop gets a little better over the year, so the trend, the breakdowns and the comments
(in English, Simplified Chinese and Russian) show something real. Invitations and
responses are bulk-inserted with a fixed random seed; the snapshot (segment, tier,
predicted CLV, P(alive)) is read in the same query as the customers, so the seed runs
after the demo's CLV run. Created once: a survey of that name is left alone.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from feedback.models import Invitation, Response, Survey
from feedback.services.surveys import survey_create
from feedback.tokens import salt_and_hash_new

NAME = "Post-purchase NPS"
SEED = 14
INVITED = 1100
DAYS = 365
TRIGGER_REF = "demo"
# P(promoter), P(passive) by the segment the customer is in (the rest are detractors).
CATEGORY_ODDS = {
    "high_value": (0.62, 0.26),
    "at_risk": (0.14, 0.26),
    "churned": (0.08, 0.22),
    "new": (0.42, 0.33),
    "low_value": (0.34, 0.36),
}
OTHER_ODDS = (0.36, 0.34)
# How much likelier a promoter is at the end of the year than at its start (the trend).
IMPROVEMENT = 0.12
# P(answering an invitation) by segment.
ANSWER_ODDS = {"high_value": 0.5, "at_risk": 0.3, "churned": 0.25}
OTHER_ANSWER_ODDS = 0.36
COMMENT_ODDS = 0.45
LANGUAGE_ODDS = {"en": 0.7, "zh-hans": 0.15, "ru": 0.15}
COMMENTS = {
    "promoter": {
        "en": ["Fast delivery and lovely packaging.", "Great quality, I tell all my friends."],
        "zh-hans": ["发货很快，包装很用心。", "质量很好，已经推荐给朋友了。"],
        "ru": ["Быстрая доставка и красивая упаковка.", "Отличное качество, советую друзьям."],
    },
    "passive": {
        "en": ["Good, but shipping could be cheaper.", "Fine overall; the site is a bit slow."],
        "zh-hans": ["还不错，但运费有点贵。", "总体可以，网站有点慢。"],
        "ru": ["Хорошо, но доставка дороговата.", "В целом нормально, сайт медленный."],
    },
    "detractor": {
        "en": ["My order arrived late and damaged.", "Support never answered my email."],
        "zh-hans": ["订单迟到了，而且有损坏。", "客服一直没有回复我的邮件。"],
        "ru": ["Заказ пришёл поздно и повреждённым.", "Поддержка так и не ответила."],
    },
}
FOLLOW_UP = {
    "subject": "Thank you, {{ customer.first_name|default:'friend' }}: a review?",
    "body_text": "Hello {{ customer.first_name|default:'there' }},\n\nThank you for "
    "recommending {{ shop.name }}. Would you leave a short review? It helps others "
    "find us.\n\nhttps://shop.example.com/reviews\n\n{{ shop.name }}",
    "body_html": "",
}

CANDIDATES = """
    SELECT c.id, COALESCE(sg.code, ''), COALESCE(t.name, ''), sc.predicted_clv, sc.p_alive,
           c.language
    FROM customers_customer c
    LEFT JOIN customers_customersegment cs ON cs.customer_id = c.id
    LEFT JOIN customers_segment sg ON sg.id = cs.segment_id
    LEFT JOIN customers_loyaltystatus ls ON ls.customer_id = c.id
    LEFT JOIN customers_loyaltytier t ON t.id = ls.tier_id
    LEFT JOIN customers_customerscore sc ON sc.customer_id = c.id
    WHERE c.email <> '' AND c.unsubscribed_at IS NULL
    ORDER BY c.id
"""


@dataclass(frozen=True)
class DemoSurvey:
    survey: Survey
    invitations: int
    responses: int


def demo_survey_seed(*, now: datetime | None = None) -> DemoSurvey | None:
    """Create the demo survey with its invitations and answers, once (None when it exists
    or the shop has no customer to ask)."""
    if Survey.objects.filter(name=NAME).exists():
        return None
    with connection.cursor() as cursor:
        cursor.execute(CANDIDATES)
        candidates = cursor.fetchall()
    if not candidates:
        return None
    now = now or timezone.now()
    rng = np.random.default_rng(SEED)
    chosen = rng.choice(len(candidates), size=min(INVITED, len(candidates)), replace=False)
    with transaction.atomic():
        survey = survey_create(
            fields={
                "name": NAME,
                "trigger": "after_order",
                "after_order_days": 7,
                "open_question_en": "What is the main reason for your score?",
                "open_question_zh_hans": "您给出这个分数的主要原因是什么？",
                "open_question_ru": "Какова главная причина вашей оценки?",
                "promoter_follow_up": FOLLOW_UP,
            }
        )
        invitations = [
            _invitation(survey, candidates[i][0], _sent_at(rng, now)) for i in sorted(chosen)
        ]
        written = Invitation.objects.bulk_create(invitations)
        by_customer = {row[0]: row for row in candidates}
        responses = [
            response
            for invitation in written
            if (response := _response(rng, invitation, by_customer[invitation.customer_id], now))
        ]
        Response.objects.bulk_create(responses)
    return DemoSurvey(survey, len(written), len(responses))


def _sent_at(rng: np.random.Generator, now: datetime) -> datetime:
    return now - timedelta(days=float(rng.uniform(3, DAYS)))


def _invitation(survey: Survey, customer_id: int, sent_at: datetime) -> Invitation:
    salt, token_hash = salt_and_hash_new()
    return Invitation(
        survey=survey,
        customer_id=customer_id,
        salt=salt,
        token_hash=token_hash,
        trigger_ref=TRIGGER_REF,
        expires_at=sent_at + timedelta(days=settings.FEEDBACK_INVITATION_DAYS),
        created_at=sent_at,
    )


def _response(
    rng: np.random.Generator, invitation: Invitation, candidate: tuple[Any, ...], now: datetime
) -> Response | None:
    _, segment, tier, predicted_clv, p_alive, language = candidate
    if rng.random() >= ANSWER_ODDS.get(segment, OTHER_ANSWER_ODDS):
        return None
    answered_at = min(invitation.created_at + timedelta(hours=float(rng.exponential(30))), now)
    category, score = _score(rng, segment, progress=1 - (now - answered_at).days / DAYS)
    language = language if language in LANGUAGE_ODDS else _language(rng)
    comment = ""
    if rng.random() < COMMENT_ODDS:
        comment = str(rng.choice(COMMENTS[category][language]))
    return Response(
        invitation=invitation,
        survey_id=invitation.survey_id,
        customer_id=invitation.customer_id,
        score=score,
        comment=comment,
        language=language,
        answered_at=answered_at,
        segment_code=segment,
        tier_name=tier,
        predicted_clv=Decimal(str(predicted_clv)) if predicted_clv is not None else None,
        p_alive=p_alive,
    )


def _score(rng: np.random.Generator, segment: str, *, progress: float) -> tuple[str, int]:
    promoter, passive = CATEGORY_ODDS.get(segment, OTHER_ODDS)
    promoter = min(promoter + IMPROVEMENT * (progress - 0.5), 1 - passive)
    draw = rng.random()
    if draw < promoter:
        return "promoter", int(rng.choice([9, 10], p=[0.45, 0.55]))
    if draw < promoter + passive:
        return "passive", int(rng.choice([7, 8]))
    return "detractor", int(rng.choice(range(7), p=[0.04, 0.04, 0.07, 0.1, 0.15, 0.25, 0.35]))


def _language(rng: np.random.Generator) -> str:
    return str(rng.choice(list(LANGUAGE_ODDS), p=list(LANGUAGE_ODDS.values())))
