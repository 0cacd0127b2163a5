"""The customer 360 page with something in every card and panel: what each role sees, and
the same number of queries for a customer with a short history or a long one."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign, Suppression
from clvcrm.core.models import AuditEntry
from customers.models import ClvRun, CustomerNote, Segment, SegmentTransition
from customers.services.customers import customer_update
from tests.campaigns.builders import campaign_made, exposed
from tests.customers.interaction_builders import task_made
from tests.feedback.builders import invited, response_made, survey_made
from tests.workspace.privacy_builders import person_everywhere

pytestmark = pytest.mark.django_db


def _long_history(customer, staff, size: int) -> None:
    """``size`` more of every list the page shows: segment moves, consent changes, messages,
    holdouts, NPS answers, notes and tasks."""
    now = timezone.now()
    low = Segment.objects.get(code="low_value")
    for i in range(size):
        run = ClvRun.objects.create(as_of=now.date(), status=ClvRun.Status.SUCCEEDED)
        SegmentTransition.objects.create(
            customer=customer, to_segment=low, reason="low_value", run=run
        )
        customer_update(customer=customer, actor=staff, marketing_consent=i % 2 == 1)
        task = task_made(customer, f"call {i}", now.date() + timedelta(days=i), assignee=staff)
        CustomerNote.objects.create(customer=customer, task=task, author=staff, body=f"n{i}")
    weekly = campaign_made(name="Weekly", code="high_value", holdout="50.0")
    variant = weekly.variants.get(name="V0")
    for i in range(size):
        exposed(weekly, variant, [customer], at=now - timedelta(hours=i), trigger_ref=f"w{i}")
    for i in range(size):
        held = Campaign.objects.get(pk=weekly.pk)
        exposed(held, None, [customer], at=now - timedelta(days=i), trigger_ref=f"h{i}")
    Suppression.objects.all().delete()  # the surveys invite only an address not suppressed
    survey = survey_made("Often", throttle_days=0)
    for i in range(size):
        if i:
            survey = survey_made(f"Often {i}", throttle_days=0)
        ((invitation, _),) = invited(survey, [customer])
        response_made(invitation, i % 11)


@pytest.mark.parametrize("size", [1, 25])
def test_every_panel_in_a_fixed_number_of_queries(make_staff, django_assert_num_queries, size):
    person = person_everywhere()
    customer = person.customer
    support = make_staff("Support", "sam")
    _long_history(customer, support, size)
    assert AuditEntry.objects.filter(changes__has_key="marketing_consent").count() == size
    support_client, analyst_client = Client(), Client()
    support_client.force_login(support)
    analyst_client.force_login(make_staff("Analyst", "ann"))

    # Session, user, permissions (2), the customer, order figures, recent orders, their
    # lines; the segment card's custom segments and thresholds; the loyalty card's five;
    # the notes, the open tasks, the task form's assignees; the consent history, the
    # segment history; campaigns' messages and holdouts; feedback's NPS answers.
    with django_assert_num_queries(8 + 2 + 5 + 3 + 2 + 2 + 1):
        page = support_client.get(f"/customers/{customer.pk}/").content.decode()
    # The same without the task form (Analysts create no tasks).
    with django_assert_num_queries(8 + 2 + 5 + 2 + 2 + 2 + 1):
        read_only = analyst_client.get(f"/customers/{customer.pk}/").content.decode()

    for html in (page, read_only):
        for card in (
            "customer-value",
            "customer-segment",
            "loyalty",
            "notes",
            "tasks",
            "consent-history",
            "segment-history",
            "campaign-messages",
            "nps-answers",
        ):
            assert f'id="{card}"' in html, card
    assert 'id="profile-edit"' in page
    assert 'id="task-form"' in page
    assert 'id="profile-edit"' not in read_only
    assert 'id="task-form"' not in read_only
    messages = page.split('id="customer-messages"', 1)[1].split("</table>", 1)[0]
    # The head, then the latest 20 of: Welcome and Later, the weekly ones, and the survey
    # invitations (sent through their own feedback campaign: messages too).
    assert messages.count("<tr>") == 1 + min(2 + size + 1 + size, 20)
    answers = page.split('id="customer-answers"', 1)[1].split("</table>", 1)[0]
    assert answers.count("<tr>") == 1 + min(size + 1, 20)
