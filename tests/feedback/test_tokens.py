"""Invitation tokens: rebuilt from the salt, found by the hash, forged ones never accepted."""

import secrets
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.selectors import invitation_by_token
from feedback.tokens import TOKEN_LENGTH, token_hash, token_of
from tests.feedback.builders import one_invitation

pytestmark = pytest.mark.django_db


def test_the_token_is_rebuilt_from_the_salt_and_only_its_hash_is_stored():
    invitation, token = one_invitation()

    assert len(token) == TOKEN_LENGTH
    assert invitation.token_hash == token_hash(token)
    assert len(bytes.fromhex(invitation.salt)) == 16
    stored = {invitation.salt, invitation.token_hash, invitation.trigger_ref}
    assert token not in stored
    assert invitation_by_token(token) == invitation


def test_the_token_needs_the_secret_key(settings):
    invitation, token = one_invitation()
    original = settings.SECRET_KEY

    assert token_of(invitation.salt, secret="another key") != token
    settings.SECRET_KEY = "rotated-" + "k" * 50
    assert invitation_by_token(token) is None
    settings.SECRET_KEY_FALLBACKS = [original]
    assert invitation_by_token(token) == invitation


def test_ten_thousand_forged_tokens_are_all_refused():
    invitation, token = one_invitation()
    forged = [secrets.token_urlsafe(32) for _ in range(10_000)]
    # Tampered with: each one character of the real token changed.
    forged += [token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :] for i in range(43)]
    forged += [token[:-1], token + "A", token.upper(), "", "../" + token]

    accepted = [candidate for candidate in forged if invitation_by_token(candidate) is not None]

    assert accepted == []
    assert invitation_by_token(token) == invitation


def test_a_malformed_token_costs_no_query_and_a_well_formed_one_costs_one():
    with CaptureQueriesContext(connection) as malformed:
        assert invitation_by_token("not a token") is None
    with CaptureQueriesContext(connection) as well_formed:
        assert invitation_by_token("A" * TOKEN_LENGTH) is None

    assert len(malformed) == 0
    assert len(well_formed) == 1


def test_an_expired_token_is_refused_like_a_forged_one():
    invitation, token = one_invitation()

    assert invitation_by_token(token, now=invitation.expires_at - timedelta(seconds=1))
    assert invitation_by_token(token, now=invitation.expires_at) is None
    assert invitation.expires_at - invitation.created_at == timedelta(days=30)
    assert invitation.created_at <= timezone.now()
