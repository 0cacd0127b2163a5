"""The staff pages of campaigns: list, form, detail with results, lifecycle buttons, roles."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, Message
from campaigns.services.results import campaign_results_compute
from customers.models import Segment

pytestmark = pytest.mark.django_db


def client_of(make_staff: Callable[..., User], role: str) -> Client:
    client = Client()
    client.force_login(make_staff(role))
    return client


@pytest.fixture
def marketing(make_staff: Callable[..., User]) -> Client:
    return client_of(make_staff, "Marketing")


def form_data(**changes: Any) -> dict[str, Any]:
    """A new campaign's form, as the browser posts it: two variants, the second blank."""
    data = {
        "name": "Win-back",
        "description": "",
        "trigger": "segment_entered",
        "segment": str(Segment.objects.get(code="at_risk").pk),
        "tier": "",
        "repeat_every_days": "",
        "holdout_percent": "10.0",
        "attribution_days": "7",
        "winner_metric": "conversion_rate",
        "winner_minimum_per_arm": "1000",
        "winner_alpha": "0.050",
        "priority": "100",
        "from_email": "",
        "reply_to": "",
        "offer_codes": "none",
        "offer_code": "",
        "variants-TOTAL_FORMS": "2",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "10",
        "variants-0-name": "A",
        "variants-0-weight": "2",
        "variants-0-subject": "We miss you",
        "variants-0-body_text": "Hello",
        "variants-0-body_html": "",
        "variants-1-name": "",
        "variants-1-weight": "1",
        "variants-1-subject": "",
        "variants-1-body_text": "",
        "variants-1-body_html": "",
    }
    return {**data, **changes}


def test_marketing_creates_a_campaign_through_the_form(marketing: Client) -> None:
    response = marketing.post("/campaigns/new/", form_data())

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert (campaign.name, campaign.status, campaign.trigger) == (
        "Win-back",
        "draft",
        "segment_entered",
    )
    assert list(campaign.variants.values_list("name", "weight", "subject")) == [
        ("A", 2, "We miss you")
    ]


def test_the_services_errors_are_shown_on_their_fields(marketing: Client) -> None:
    response = marketing.post("/campaigns/new/", form_data(segment="", trigger="broadcast"))

    assert response.status_code == 200
    assert response.context["form"].errors == {"segment": ["This trigger needs a segment."]}
    assert not Campaign.objects.exists()


def test_a_live_campaign_shows_its_arms_fixed_and_changes_only_content(
    marketing: Client, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign()
    a, b = campaign.variants.order_by("id")
    page = marketing.get(f"/campaigns/{campaign.pk}/edit/")
    form = page.context["form"]
    assert [name for name, f in form.fields.items() if not f.disabled] == [
        "name",
        "description",
        "priority",
        "from_email",
        "reply_to",
        "offer_code",
    ]
    data = form_data(
        name="Win-back 2",
        holdout_percent="50",  # disabled: what is posted is ignored
        **{
            "variants-TOTAL_FORMS": "2",
            "variants-INITIAL_FORMS": "2",
            "variants-0-name": "renamed",  # disabled as well
            "variants-0-subject": "New subject",
            "variants-0-body_text": a.body_text,
            "variants-1-name": "B",
            "variants-1-subject": b.subject,
            "variants-1-body_text": b.body_text,
        },
    )

    response = marketing.post(f"/campaigns/{campaign.pk}/edit/", data)

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, str(campaign.holdout_percent)) == ("Win-back 2", "10.0")
    assert list(campaign.variants.order_by("id").values_list("name", "subject")) == [
        ("A", "New subject"),
        ("B", b.subject),
    ]


def test_activation_asks_who_is_enrolled(
    marketing: Client, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign(active=False)
    page = marketing.get(f"/campaigns/{campaign.pk}/")
    assert "Also everyone in the segment now, once" in page.content.decode()

    response = marketing.post(
        f"/campaigns/{campaign.pk}/activate/", {"include_current_members": "true"}
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "active"
    assert campaign.include_current_members is True
    assert campaign.members_due_at == campaign.activated_at


def test_pause_resume_and_finish_after_confirmation(marketing: Client, filled: Campaign) -> None:
    pk = filled.pk
    assert marketing.post(f"/campaigns/{pk}/pause/").status_code == 302
    assert Campaign.objects.get(pk=pk).status == "paused"
    assert marketing.post(f"/campaigns/{pk}/activate/").status_code == 302
    assert Campaign.objects.get(pk=pk).status == "active"

    confirmation = marketing.get(f"/campaigns/{pk}/finish/")
    assert confirmation.status_code == 200
    assert Campaign.objects.get(pk=pk).status == "active"
    assert marketing.post(f"/campaigns/{pk}/finish/").status_code == 302

    assert Campaign.objects.get(pk=pk).status == "finished"
    # The one pending message is suppressed, not sent.
    assert (
        Message.objects.filter(campaign_id=pk, suppressed_reason="campaign_finished").count() == 1
    )


def test_a_step_out_of_order_is_a_message_not_an_error(
    marketing: Client, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign(active=False)

    response = marketing.post(f"/campaigns/{campaign.pk}/pause/", follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "A campaign that is draft cannot be paused."
    ]
    assert Campaign.objects.get().status == "draft"


@pytest.mark.parametrize("role", ["Analyst", "Support"])
def test_read_only_roles_see_the_pages_but_no_buttons_and_cannot_write(
    make_staff: Callable[..., User], role: str, filled: Campaign
) -> None:
    client = client_of(make_staff, role)
    pk = filled.pk

    listing = client.get("/campaigns/")
    detail = client.get(f"/campaigns/{pk}/")

    assert listing.status_code == detail.status_code == 200
    assert "New campaign" not in listing.content.decode()
    assert 'id="lifecycle"' not in detail.content.decode()
    assert client.get("/campaigns/new/").status_code == 403
    assert client.get(f"/campaigns/{pk}/edit/").status_code == 403
    assert client.post("/campaigns/new/", form_data(name="Other")).status_code == 403
    for action in ("activate", "pause", "finish"):
        assert client.post(f"/campaigns/{pk}/{action}/").status_code == 403
    assert Campaign.objects.get().status == "active"


def test_the_navigation_links_campaigns_for_those_who_may_see_them(
    make_staff: Callable[..., User], marketing: Client
) -> None:
    nobody = User.objects.create_user("nobody", password="x", is_staff=True)
    client = Client()
    client.force_login(nobody)

    assert 'href="/campaigns/"' in marketing.get("/customers/").content.decode()
    assert client.get("/campaigns/").status_code == 403


def test_the_detail_page_shows_the_results_per_arm(marketing: Client, filled: Campaign) -> None:
    response = marketing.get(f"/campaigns/{filled.pk}/")

    results = response.context["results"]
    assert [(v.name, v.recipients, v.messages.sent) for v in results.variants] == [
        ("A", 4, 2),
        ("B", 2, 0),
    ]
    assert results.holdout.recipients == 3
    rows = dict(response.context["suppression_rows"])
    assert rows["Frequency cap"] == [1, 0]
    assert rows["No marketing consent"] == [1, 0]
    assert len(response.context["recent"]) == 6


def test_the_list_is_paged_newest_first_and_filtered_by_status(
    marketing: Client, make_campaign: Callable[..., Campaign]
) -> None:
    for number in range(55):
        make_campaign(f"Campaign {number:02d}", active=number % 2 == 0)

    first = marketing.get("/campaigns/")
    second = marketing.get("/campaigns/", {"after": first.context["page"].next_cursor})
    drafts = marketing.get("/campaigns/", {"status": "draft"})
    unknown = marketing.get("/campaigns/", {"status": "nonsense"})

    names = [row.campaign.name for row in first.context["rows"]]
    assert names[:2] == ["Campaign 54", "Campaign 53"]
    assert len(names) == 50
    assert [row.campaign.name for row in second.context["rows"]][-1] == "Campaign 00"
    assert len(second.context["rows"]) == 5
    assert {row.campaign.status for row in drafts.context["rows"]} == {"draft"}
    assert len(drafts.context["rows"]) == 27
    assert unknown.status_code == 200
    assert len(unknown.context["rows"]) == 50


def test_the_list_and_detail_pages_take_a_fixed_number_of_queries(
    marketing: Client, filled: Campaign, make_campaign: Callable[..., Campaign]
) -> None:
    make_campaign("Second")
    campaign_results_compute(campaign_id=filled.pk)

    with CaptureQueriesContext(connection) as listing:
        assert marketing.get("/campaigns/").status_code == 200
    with CaptureQueriesContext(connection) as detail:
        assert marketing.get(f"/campaigns/{filled.pk}/").status_code == 200

    # Session and user, the permissions (user, groups); the page of campaigns and its
    # capped count; assignments and messages of the page's campaigns.
    assert len(listing) == 8
    # Session, user, permissions; the campaign and its variants; the five of the results
    # (variants, assignments, messages, the latest computation and its arms); the latest
    # messages.
    assert len(detail) == 12
