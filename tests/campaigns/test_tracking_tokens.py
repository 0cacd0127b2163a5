"""Forged and tampered tokens: 10,000 of each kind, none accepted.

The forgeries: every kind of single-character change, insertion and deletion of a valid
token, the value of one token with the signature of another, random strings of the
token alphabet, and valid tokens of the other two purposes. The readers must refuse them
all; the views (below) must answer them without recording or changing anything.
"""

import random
import string
from collections.abc import Callable

import pytest

from campaigns.models import MessageEvent
from campaigns.tracking.tokens import (
    click_token,
    click_token_read,
    open_token,
    open_token_read,
    unsubscribe_token,
    unsubscribe_token_read,
)
from campaigns.views.public import PIXEL
from customers.models import Customer

ALPHABET = string.ascii_letters + string.digits + "-_."
TRIES = 10_000


def forgeries(valid: list[str], others: list[str], seed: int) -> list[str]:
    """TRIES tokens made from ``valid`` (tokens of the purpose under test) and ``others``
    (valid tokens of the other purposes), none equal to a valid token."""
    rng = random.Random(seed)
    made: set[str] = set(others)
    while len(made) < TRIES:
        token = rng.choice(valid)
        way = rng.randrange(6)
        at = rng.randrange(len(token))
        if way == 0:  # one character changed
            made.add(token[:at] + rng.choice(ALPHABET) + token[at + 1 :])
        elif way == 1:  # one character inserted
            made.add(token[:at] + rng.choice(ALPHABET) + token[at:])
        elif way == 2:  # one character deleted, or the token cut short
            made.add(token[:at] + token[at + 1 :] if rng.random() < 0.5 else token[:at])
        elif way == 3:  # another token's value with this token's signature
            value = rng.choice(valid).rsplit(".", 1)[0]
            made.add(value + "." + token.rsplit(".", 1)[1])
        elif way == 4:  # random text of the token alphabet
            made.add("".join(rng.choices(ALPHABET, k=rng.randrange(1, 80))))
        else:  # case changed
            made.add(token.swapcase())
    return sorted(made - set(valid))


def _valid_tokens() -> dict[str, list[str]]:
    ids = [1, 2, 7, 42, 999, 2**31, 2**62]
    return {
        "open": [open_token(message_id=i) for i in ids],
        "click": [click_token(message_id=i, position=p) for i in ids for p in (0, 1, 5)],
        "unsubscribe": [unsubscribe_token(customer_id=i, message_id=j) for i in ids for j in ids],
    }


READERS: dict[str, Callable[[str], object]] = {
    "open": open_token_read,
    "click": click_token_read,
    "unsubscribe": unsubscribe_token_read,
}


@pytest.mark.parametrize("kind", sorted(READERS))
def test_ten_thousand_forged_tokens_are_refused(kind):
    tokens = _valid_tokens()
    others = [t for other, some in tokens.items() if other != kind for t in some]
    forged = forgeries(tokens[kind], others, seed=len(kind))
    assert len(forged) >= TRIES - len(tokens[kind])
    accepted = [token for token in forged if READERS[kind](token) is not None]
    assert accepted == []
    # The valid ones still read back.
    assert all(READERS[kind](token) is not None for token in tokens[kind])


def test_tokens_read_back_their_values():
    assert open_token_read(open_token(message_id=2**62)) == 2**62
    assert click_token_read(click_token(message_id=5, position=0)) == (5, 0)
    assert unsubscribe_token_read(unsubscribe_token(customer_id=3, message_id=9)) == (3, 9)


def test_tokens_are_compact_and_url_safe():
    token = unsubscribe_token(customer_id=2**40, message_id=2**45)
    assert len(token) < 64
    assert set(token) <= set(ALPHABET)


def test_another_secret_key_signs_tokens_that_are_refused(settings):
    token = click_token(message_id=1, position=0)
    settings.SECRET_KEY = "another-secret-key-of-another-installation"
    assert click_token_read(token) is None


def test_the_old_key_still_reads_during_a_rotation(settings):
    token = unsubscribe_token(customer_id=1, message_id=1)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-secret-key-after-rotation"
    assert unsubscribe_token_read(token) == (1, 1)


# Through the views: a sample of each kind's forgeries, plus validly signed tokens that
# name a message, link or customer that does not exist.


@pytest.mark.django_db
def test_forged_tokens_change_nothing_through_the_views(client, make_message):
    message = make_message(links=["https://shop.example/a"])
    customer = Customer.objects.get(pk=message.customer_id)
    tokens = _valid_tokens()
    sample = 300
    nonexistent_message = open_token(message_id=message.pk + 1000)
    for token in [
        *forgeries(tokens["open"], tokens["click"], seed=1)[:sample],
        nonexistent_message,
    ]:
        response = client.get(f"/m/o/{token}.gif")
        assert (response.status_code, response.content) == (200, PIXEL)
    no_such_link = click_token(message_id=message.pk, position=1)
    no_such_message = click_token(message_id=message.pk + 1000, position=0)
    forged = forgeries(tokens["click"], tokens["open"], seed=2)[:sample]
    for token in [*forged, no_such_link, no_such_message]:
        response = client.get(f"/m/c/{token}/")
        assert response.status_code == 404, token
        assert "Location" not in response
    no_such_customer = unsubscribe_token(customer_id=customer.pk + 1000, message_id=message.pk)
    forged = forgeries(tokens["unsubscribe"], tokens["click"], seed=3)[:sample]
    for token in [*forged, no_such_customer]:
        response = client.post(
            f"/m/u/{token}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 404, token
        assert "Link not found" in response.content.decode()
    assert MessageEvent.objects.count() == 0
    assert Customer.objects.filter(unsubscribed_at__isnull=False).count() == 0
    customer.refresh_from_db()
    message.refresh_from_db()
    assert (message.opens, message.clicks, customer.unsubscribed_at) == (0, 0, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token",
    ["", ".", "..", "1-0.", ".x", "%C3%A9", "%E2%80%AE", "%FF", "a" * 5000, "1-0." + "A" * 43],
)
def test_garbage_in_the_path_gets_the_neutral_answers(client, token):
    assert client.get(f"/m/o/{token}.gif").content == PIXEL
    for url in (f"/m/c/{token}/", f"/m/u/{token}/?lang=%FF"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Link not found" in response.content.decode()
