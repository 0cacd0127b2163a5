"""The campaigns admin: the services' checks on save, the arms fixed once live, the actions."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from campaigns.models import Campaign, Message, MessageLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def root() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123456"))
    return client


def admin_form(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "Welcome",
        "description": "",
        "kind": "marketing",
        "trigger": "broadcast",
        "segment": "",
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
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-name": "A",
        "variants-0-weight": "1",
        "variants-0-subject": "Welcome",
        "variants-0-body_text": "Hello",
        "variants-0-body_html": "",
    }
    return {**data, **changes}


def test_saving_runs_the_services_checks(root: Client) -> None:
    response = root.post("/admin/campaigns/campaign/add/", admin_form())

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "segment": ["This trigger needs a segment."]
    }
    assert not Campaign.objects.exists()


def test_a_campaign_added_in_the_admin_is_a_draft_by_its_author(root: Client) -> None:
    response = root.post("/admin/campaigns/campaign/add/", admin_form(trigger="downgrade_warning"))

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.status, campaign.created_by.username) == ("draft", "root")  # type: ignore[union-attr]
    assert list(campaign.variants.values_list("name", "bucket_from")) == [("A", None)]


def test_a_live_campaign_shows_its_arms_read_only(
    root: Client, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign()

    page = root.get(f"/admin/campaigns/campaign/{campaign.pk}/change/")

    form = page.context["adminform"].form
    assert sorted(form.fields) == [
        "description",
        "from_email",
        "name",
        "offer_code",
        "priority",
        "reply_to",
    ]
    inline = page.context["inline_admin_formsets"][0].formset
    # No DELETE either: a live campaign's variants stay.
    assert sorted(inline.forms[0].fields) == [
        "body_html",
        "body_text",
        "campaign",
        "id",
        "subject",
    ]


def test_the_actions_go_through_the_services(
    root: Client, filled: Campaign, make_campaign: Callable[..., Campaign]
) -> None:
    draft = make_campaign("Draft", active=False)

    response = root.post(
        "/admin/campaigns/campaign/",
        {"action": "finish", "_selected_action": [filled.pk, draft.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Win-back: finished.",
        "Draft: A campaign that is draft cannot be finished.",
    ]
    assert Campaign.objects.get(pk=filled.pk).status == "finished"
    assert Message.objects.filter(status="pending").count() == 0


def test_the_outbox_is_read_only(root: Client, filled: Campaign) -> None:
    message = Message.objects.order_by("pk").first()
    assert message is not None

    listing = root.get("/admin/campaigns/message/", {"status": "sent"})
    change = root.post(f"/admin/campaigns/message/{message.pk}/change/", {"status": "pending"})

    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 2
    assert change.status_code == 403
    assert root.get("/admin/campaigns/message/add/").status_code == 403


@pytest.mark.filterwarnings("error")
def test_a_message_link_opens_in_the_admin(root: Client, filled: Campaign) -> None:
    message = Message.objects.filter(status="sent").order_by("pk").first()
    assert message is not None
    link = MessageLink.objects.create(message=message, position=0, url="https://shop.example/")

    page = root.get(f"/admin/campaigns/messagelink/{link.pk}/change/")

    assert page.status_code == 200
    assert "https://shop.example/" in page.content.decode()
