"""Fifty clients post the same order at once, over HTTP, to a live server on PostgreSQL.

Each request is served on its own thread with its own database connection, as gunicorn's
workers would: the order is written once, no request fails, and with one Idempotency-Key
every client gets the first answer.
"""

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread, _StaticFilesHandler

from clvcrm.core.api_tokens import api_token_create
from clvcrm.core.idempotency import REPLAYED_HEADER
from clvcrm.core.models import IdempotencyKey
from customers.models import Order, OrderLine
from tests.customers.test_api_orders_post import order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 50  # each a connection of the server's: max_connections is shared


class _RoomyServer(ThreadedWSGIServer):
    # Fifty clients connect at once: Django's listen backlog of 10 would reset the rest.
    request_queue_size = 2 * CLIENTS


class _RoomyServerThread(LiveServerThread):
    server_class = _RoomyServer


@pytest.fixture
def server_url(transactional_db) -> Any:
    """pytest-django's live server, with room for every client's connection."""
    thread = _RoomyServerThread("127.0.0.1", _StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


def _post(url: str, token: str, body: Any, start: threading.Barrier, key: str) -> tuple:
    """One POST once every client is ready: (status, JSON body, replayed?)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    start.wait()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response), response.headers.get(REPLAYED_HEADER)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers.get(REPLAYED_HEADER)


def _post_all(server_url: str, make_staff: Any, key: str = "") -> list[tuple]:
    _, token = api_token_create(user=make_staff("Support"))
    url = f"{server_url}/api/v1/orders/"
    start = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(_post, url, token, order(), start, key) for _ in range(CLIENTS)]
        return [f.result() for f in futures]


def test_fifty_concurrent_posts_of_one_order_write_it_once(server_url, make_staff):
    answers = _post_all(server_url, make_staff)

    assert Counter(status for status, _, _ in answers) == {201: 1, 200: CLIENTS - 1}
    outcomes = Counter(body["orders"][0]["outcome"] for _, body, _ in answers)
    assert outcomes == {"created": 1, "unchanged": CLIENTS - 1}
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 2


def test_fifty_concurrent_posts_with_one_key_all_get_the_first_answer(server_url, make_staff):
    answers = _post_all(server_url, make_staff, key="checkout-7f3a")

    assert {status for status, _, _ in answers} == {201}
    first = {"index": 0, "external_id": "O1", "outcome": "created"}
    assert all(body["orders"] == [first] for _, body, _ in answers)
    assert Counter(replayed for _, _, replayed in answers) == {None: 1, "true": CLIENTS - 1}
    assert Order.objects.count() == 1
    assert IdempotencyKey.objects.get().status_code == 201
