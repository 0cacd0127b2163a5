"""Fifty submissions of one invitation at once, on PostgreSQL: exactly one response."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from feedback.models import Response
from tests.feedback.builders import one_invitation

SUBMISSIONS = 50


def _submit(token: str, score: int, start: threading.Barrier) -> tuple[int, str]:
    """One POST of the answer page once every thread is ready, on its own connection."""
    try:
        start.wait()
        answer = Client().post(f"/s/{token}/", {"score": str(score)})
        page = answer.content.decode()
        kind = "changed" if "Your answer has been changed." in page else "thanks"
        return answer.status_code, kind
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_submissions_of_one_token_store_exactly_one_response(settings):
    settings.FEEDBACK_ANSWERS_PER_TOKEN_PER_MINUTE = 1000
    settings.FEEDBACK_ANSWERS_PER_IP_PER_MINUTE = 1000
    invitation, token = one_invitation()
    start = threading.Barrier(SUBMISSIONS)

    with ThreadPoolExecutor(max_workers=SUBMISSIONS) as pool:
        futures = [pool.submit(_submit, token, i % 11, start) for i in range(SUBMISSIONS)]
        answers = [future.result() for future in futures]

    assert Counter(answers) == {(200, "thanks"): 1, (200, "changed"): SUBMISSIONS - 1}
    response = Response.objects.get()
    assert response.invitation_id == invitation.pk
    assert 0 <= response.score <= 10
