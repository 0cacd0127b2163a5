"""The feedback loop on the customer record: a detractor's answer opens a follow-up task,
due sooner for valuable customers; the latest answer's category is the customer's, and
custom segments (so campaigns) can target it."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from campaigns.forms import CampaignForm
from customers.models import Customer, CustomerTask, NpsCategory, Segment
from customers.segments.rules import RULE_FIELDS, rules_clean
from customers.services.segments import custom_segment_save, segments_reassign
from feedback.models import Invitation, ScoreCategory
from feedback.services.responses import Outcome, response_submit
from tests.customers.interaction_builders import clv_run, customers_valued, scored
from tests.feedback.builders import invited, survey_made

pytestmark = pytest.mark.django_db

# Answered on 1 July 2026 (UTC, the shop's zone in the tests).
NOON = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
ANSWER_DAY = date(2026, 7, 1)


def _invitations(customers: list[Customer], name: str = "After purchase") -> list[Invitation]:
    return [invitation for invitation, _ in invited(survey_made(name), customers)]


def _answer(invitation: Invitation, score: int, comment: str = "", at: datetime = NOON):
    with time_machine.travel(at, tick=False):
        return response_submit(invitation=invitation, score=score, comment=comment, language="en")


def test_a_detractor_opens_a_task_due_sooner_the_more_valuable_the_customer():
    # Ten predicted values 10 … 100: the top 20 % are 90 and 100, the top 50 % from 60 up.
    values = [str(v) for v in range(10, 101, 10)]
    customers = customers_valued([*values, None])
    unscored = Customer.objects.create(external_id="NEW", email="new@example.com")
    answering = {
        "V-9": customers[9],  # 100: top 20 %
        "V-8": customers[8],  # 90: top 20 %
        "V-5": customers[5],  # 60: top 50 %
        "V-4": customers[4],  # 50: below
        "V-10": customers[10],  # not predicted
        "NEW": unscored,  # not scored at all
    }
    invitations = _invitations(list(answering.values()))

    for invitation in invitations:
        _answer(invitation, 4, "Parcel arrived broken")

    due = dict(CustomerTask.objects.values_list("customer__external_id", "due_on"))
    assert due == {
        "V-9": ANSWER_DAY + timedelta(days=1),
        "V-8": ANSWER_DAY + timedelta(days=1),
        "V-5": ANSWER_DAY + timedelta(days=3),
        "V-4": ANSWER_DAY + timedelta(days=7),
        "V-10": ANSWER_DAY + timedelta(days=7),
        "NEW": ANSWER_DAY + timedelta(days=7),
    }
    task = CustomerTask.objects.get(customer=customers[9])
    response = Invitation.objects.get(customer=customers[9]).response
    assert (task.source, task.source_key, task.status, task.assignee_id) == (
        "nps_detractor",
        f"nps-response:{response.pk}",
        "open",
        None,
    )
    assert task.title == "NPS detractor: scored 4/10 — After purchase"
    assert task.description == (
        "The customer answered 4 of 10 to “After purchase” and said: “Parcel arrived broken”"
    )


def test_the_bands_and_the_assignee_are_settings(settings, make_staff):
    settings.FEEDBACK_FOLLOW_UP_BANDS = ((10, 0), (60, 2))
    settings.FEEDBACK_FOLLOW_UP_DAYS = 14
    settings.FEEDBACK_FOLLOW_UP_ASSIGNEE = "sam"
    sam = make_staff("Support", "sam")
    customers = customers_valued([str(v) for v in range(10, 101, 10)])
    top, middle, low = _invitations([customers[9], customers[4], customers[3]])

    for invitation in (top, middle, low):
        _answer(invitation, 0)

    tasks = CustomerTask.objects.order_by("due_on")
    assert [(t.customer_id, t.due_on, t.assignee_id) for t in tasks] == [
        (customers[9].pk, ANSWER_DAY, sam.pk),
        (customers[4].pk, ANSWER_DAY + timedelta(days=2), sam.pk),
        (customers[3].pk, ANSWER_DAY + timedelta(days=14), sam.pk),
    ]
    assert tasks[0].description == "The customer answered 0 of 10 to “After purchase” (no comment)"


def test_an_unknown_assignee_leaves_the_task_for_the_inbox(settings, caplog):
    settings.FEEDBACK_FOLLOW_UP_ASSIGNEE = "nobody-here"
    (invitation,) = _invitations(customers_valued(["10"]))

    _answer(invitation, 2)

    assert CustomerTask.objects.get().assignee_id is None
    assert "FEEDBACK_FOLLOW_UP_ASSIGNEE='nobody-here' is no active user" in caplog.text


@pytest.mark.parametrize("score", [7, 8, 9, 10])
def test_passives_and_promoters_open_no_task(score):
    (invitation,) = _invitations(customers_valued(["10"]))

    _answer(invitation, score)

    assert not CustomerTask.objects.exists()


def test_changing_an_answer_to_a_detractors_opens_the_task_once():
    lowest = customers_valued([str(v) for v in range(10, 101, 10)])[0]
    (invitation,) = _invitations([lowest])

    stored = _answer(invitation, 9)
    to_detractor = _answer(invitation, 3, "On second thought", at=NOON + timedelta(minutes=5))
    again = _answer(invitation, 1, at=NOON + timedelta(minutes=10))

    outcomes = [stored.outcome, to_detractor.outcome, again.outcome]
    assert outcomes == [Outcome.STORED, Outcome.CHANGED, Outcome.CHANGED]
    task = CustomerTask.objects.get()
    assert task.title == "NPS detractor: scored 3/10 — After purchase"
    assert task.due_on == ANSWER_DAY + timedelta(days=7)


def test_the_category_is_the_latest_answers(settings):
    settings.FEEDBACK_THROTTLE_DAYS = 0  # two surveys asking the same customer
    (ann,) = customers_valued(["10"])
    first, second = _invitations([ann], "First"), _invitations([ann], "Second")

    _answer(second[0], 10, at=NOON)  # the later answer is stored first
    _answer(first[0], 2, at=NOON - timedelta(days=1))  # an older one arriving late
    ann.refresh_from_db()
    assert (ann.nps_category, ann.nps_answered_at) == ("promoter", NOON)

    _answer(second[0], 8, at=NOON + timedelta(minutes=1))  # the latest answer, changed
    ann.refresh_from_db()
    assert (ann.nps_category, ann.nps_answered_at) == ("passive", NOON)
    # The late detractor still opened its follow-up.
    assert CustomerTask.objects.filter(customer=ann).count() == 1


def test_the_customers_categories_are_the_answers():
    assert NpsCategory.values == ScoreCategory.values
    assert [ScoreCategory.of(s) for s in (0, 6, 7, 8, 9, 10)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]


def test_the_rule_field_accepts_only_the_categories():
    assert rules_clean([{"field": "nps_category", "op": "in", "value": "detractor, passive"}]) == [
        {"field": "nps_category", "op": "in", "value": "detractor, passive"}
    ]
    with pytest.raises(ValidationError) as refused:
        rules_clean([{"field": "nps_category", "op": "eq", "value": "angry"}])
    with pytest.raises(ValidationError) as refused_in:
        rules_clean([{"field": "nps_category", "op": "in", "value": "promoter, Promoter"}])

    field = "Latest NPS category (promoter, passive, detractor)"
    accepted = "one of promoter, passive, detractor"
    assert refused.value.messages == [
        f"rule 1: {field} needs {accepted}, not 'angry': not one of the choices"
    ]
    assert refused_in.value.messages == [
        f"rule 1: {field} needs {accepted}, not 'Promoter': not one of the choices"
    ]
    assert RULE_FIELDS["nps_category"].accepted == accepted


def test_detractors_are_a_custom_segment_campaigns_can_target():
    ann, bob, cat = customers_valued(["10", "20", "30"])
    invitations = _invitations([ann, bob])
    _answer(invitations[0], 5)
    _answer(invitations[1], 9)
    segment = Segment(
        code="detractors",
        name="Detractors",
        rules=[{"field": "nps_category", "op": "eq", "value": "detractor"}],
    )
    custom_segment_save(segment=segment)
    run = clv_run()  # the next nightly run: scores, then the reassignment
    for customer in (ann, bob, cat):
        customer.score.delete()
        scored(customer, run, "10")

    segments_reassign(run_id=run.pk)

    members = Segment.objects.get(code="detractors").memberships.values_list("customer", flat=True)
    assert list(members) == [ann.pk]
    form = CampaignForm(
        {
            "name": "Win back detractors",
            "trigger": "broadcast",
            "segment": str(segment.pk),
            "holdout_percent": "10",
            "attribution_days": "30",
            "priority": "100",
            "winner_metric": "conversion",
        }
    )
    form.is_valid()
    assert "segment" not in form.errors
    assert form.cleaned_data["segment"] == segment
