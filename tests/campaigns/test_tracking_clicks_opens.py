"""The open pixel and click-throughs: what is recorded, what counts as human, and that a
click only ever redirects to a URL the message itself contained."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from campaigns.models import Message, MessageEvent
from campaigns.services.tracking import Visit, click_record, open_record
from campaigns.tracking.tokens import click_token, open_token
from campaigns.views.public import PIXEL

pytestmark = pytest.mark.django_db

THUNDERBIRD = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0"
LINKS = ["https://shop.example/sale?a=1&b=2", "https://blog.shop.example/post"]


def open_(client, message, agent=THUNDERBIRD, method="get", **extra):
    return getattr(client, method)(
        f"/m/o/{open_token(message_id=message.pk)}.gif", headers={"User-Agent": agent}, **extra
    )


def click(client, message, position, agent=THUNDERBIRD, method="get", query=""):
    token = click_token(message_id=message.pk, position=position)
    return getattr(client, method)(f"/m/c/{token}/{query}", headers={"User-Agent": agent})


def test_a_human_open_is_recorded_and_counted_once_first(client, make_message):
    message = make_message()
    response = open_(client, message)
    assert (response.status_code, response["Content-Type"], response.content) == (
        200,
        "image/gif",
        PIXEL,
    )
    assert "no-store" in response["Cache-Control"]
    message.refresh_from_db()
    first = message.first_opened_at
    assert message.opens == 1
    assert first is not None
    open_(client, message)
    message.refresh_from_db()
    assert (message.opens, message.first_opened_at) == (2, first)
    events = list(MessageEvent.objects.values_list("kind", "is_machine", "user_agent"))
    assert events == [("open", False, THUNDERBIRD)] * 2


@pytest.mark.parametrize(
    ("agent", "extra", "reason"),
    [
        ("Mozilla/5.0", {}, "apple_privacy"),
        (THUNDERBIRD, {"REMOTE_ADDR": "17.58.101.3"}, "apple_privacy"),
        ("", {}, "empty_user_agent"),
        ("Barracuda Sentinel (EE)", {}, "scanner:barracuda"),
        ("Mozilla/5.0 (compatible; Mimecast URL Protect)", {}, "scanner:mimecast"),
        ("Microsoft Office Existence Discovery", {}, "scanner:microsoft_office"),
        ("python-requests/2.32.3", {}, "scanner:http_client"),
    ],
)
def test_machine_opens_are_flagged_and_not_counted(client, make_message, agent, extra, reason):
    message = make_message()
    assert open_(client, message, agent, **extra).content == PIXEL
    event = MessageEvent.objects.get()
    assert (event.kind, event.is_machine, event.machine_reason) == ("open", True, reason)
    message.refresh_from_db()
    assert (message.opens, message.first_opened_at) == (0, None)


def test_an_open_and_a_click_take_a_fixed_number_of_queries(
    client, make_message, django_assert_num_queries
):
    message = make_message(links=LINKS)
    # The message; the event; the counts (and the test transaction's savepoint, released).
    with django_assert_num_queries(3 + 2):
        open_(client, message)
    # The link; the message, locked; the event; the counts (opened: no burst check).
    with django_assert_num_queries(4 + 2):
        click(client, message, 0)


def test_a_head_request_is_a_machine(client, make_message):
    message = make_message()
    response = open_(client, message, method="head")
    assert response.status_code == 200
    assert MessageEvent.objects.get().machine_reason == "head_request"
    assert Message.objects.get().opens == 0


def test_an_open_seconds_after_sending_is_a_gateway_scan(client, make_message):
    message = make_message(sent_ago=timedelta(seconds=2))
    open_(client, message)
    assert MessageEvent.objects.get().machine_reason == "too_soon"
    assert Message.objects.get().opens == 0


def test_gmail_image_proxy_is_a_human_open(client, make_message):
    message = make_message()
    open_(
        client,
        message,
        "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    )
    assert MessageEvent.objects.get().is_machine is False
    assert Message.objects.get().opens == 1


def test_the_user_agent_is_cut_to_the_column(client, make_message):
    message = make_message()
    open_(client, message, "Thunderbird " + "x" * 1000)
    assert len(MessageEvent.objects.get().user_agent) == 400


def test_a_click_redirects_to_the_messages_own_url_and_counts(client, make_message):
    message = make_message(links=LINKS)
    open_(client, message)
    for position, url in enumerate(LINKS):
        response = click(client, message, position)
        assert (response.status_code, response["Location"]) == (302, url)
    message.refresh_from_db()
    assert message.clicks == 2
    assert message.first_clicked_at is not None
    events = MessageEvent.objects.filter(kind="click").order_by("id")
    assert [(e.link_id, e.is_machine) for e in events] == [
        (link.pk, False) for link in message.links.order_by("position")
    ]


def test_a_click_never_goes_anywhere_but_the_messages_own_urls(client, make_message):
    message = make_message(links=LINKS)
    other = make_message(links=["https://elsewhere.example/"])
    attempts = [
        click(client, message, 0, query="?next=https://evil.example/"),
        click(client, message, 0, query="?url=//evil.example"),
        click(client, message, 2),  # validly signed, no such link
        click(client, message, 65535),
        click(client, other, 1),
        click(client, message, 0, method="post"),
        client.get(f"/m/c/{click_token(message_id=message.pk, position=0)}/https://evil.example/"),
        client.get("/m/c/https:%2F%2Fevil.example/"),
        client.get("/m/c/https:evil.example/"),
    ]
    for response in attempts:
        if 300 <= response.status_code < 400:
            assert response["Location"] in LINKS, response["Location"]
        else:
            assert response.status_code in (404, 405)
            assert "Location" not in response
    assert [r.status_code for r in attempts] == [302, 302, 404, 404, 404, 405, 404, 404, 404]
    # Links changed after sending are not followed to a new place by old tokens either way:
    # the redirect target is whatever the row holds, and only the sender writes rows.
    assert MessageEvent.objects.filter(kind="click").count() == 2


def test_a_scanner_burst_on_an_unopened_message_is_flagged_and_uncounted(client, make_message):
    message = make_message(links=LINKS)
    with time_machine.travel(timezone.now(), tick=False):
        click(client, message, 0)
        message.refresh_from_db()
        assert message.clicks == 1  # alone so far: counted
        click(client, message, 1)
    message.refresh_from_db()
    assert (message.clicks, message.first_clicked_at) == (0, None)
    assert set(MessageEvent.objects.values_list("is_machine", "machine_reason")) == {
        (True, "click_burst")
    }


def test_a_burst_keeps_earlier_human_clicks(client, make_message):
    message = make_message(links=LINKS)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        click(client, message, 0)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        click(client, message, 0)
        click(client, message, 1)
    message.refresh_from_db()
    assert (message.clicks, message.first_clicked_at) == (1, start)


def test_quick_clicks_after_a_human_open_all_count(client, make_message):
    message = make_message(links=LINKS)
    open_(client, message)
    with time_machine.travel(timezone.now(), tick=False):
        click(client, message, 0)
        click(client, message, 1)
    assert Message.objects.get().clicks == 2


def test_a_scanner_click_redirects_but_is_not_counted(client, make_message):
    message = make_message(links=LINKS)
    response = click(client, message, 0, agent="Mozilla/5.0 (compatible; SafeLinks)")
    assert (response.status_code, response["Location"]) == (302, LINKS[0])
    assert MessageEvent.objects.get().machine_reason == "scanner:microsoft_safe_links"
    assert Message.objects.get().clicks == 0


def test_a_head_click_is_a_machine_that_still_gets_the_redirect(client, make_message):
    message = make_message(links=LINKS)
    response = click(client, message, 1, method="head")
    assert (response.status_code, response["Location"]) == (302, LINKS[1])
    assert MessageEvent.objects.get().machine_reason == "head_request"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_opens_and_clicks_lose_no_count(make_message):
    """Twenty people (or one person's twenty devices) at once: every human open and click
    counts, and the first moments are set once."""
    message = make_message(links=LINKS)
    open_record(message_id=message.pk, visit=Visit("GET", THUNDERBIRD, "192.0.2.1"))

    def both(_: int) -> None:
        try:
            open_record(message_id=message.pk, visit=Visit("GET", THUNDERBIRD, "192.0.2.1"))
            # Opened already, so clicks close together are not a scanner's burst.
            click_record(message_id=message.pk, position=0, visit=Visit("GET", THUNDERBIRD, None))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(both, range(20)))
    message.refresh_from_db()
    assert (message.opens, message.clicks) == (21, 20)
    assert MessageEvent.objects.filter(is_machine=False).count() == 41
