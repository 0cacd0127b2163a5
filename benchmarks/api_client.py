"""The API benchmark's client: a CSV file's orders posted to ``/api/v1/orders/`` in batches.

Run by ``benchmarks.api_ingestion`` as a process of its own (the server is another), as
``python -m benchmarks.api_client URL FILE --batch 500 --connections 2``, the API token in
``BENCH_API_TOKEN`` (not on the command line, where every user's ``ps`` shows it). Every
request body is encoded before the clock starts, so the time is the server's and the
round trips': from the first request sent to the last answer read. Each connection is a
thread with its own ``http.client`` connection, taking the next batch as it finishes one.
It prints one JSON object: seconds, requests, the answers' status codes, how many orders
each outcome had, the errors and warnings counted, and the slowest request's seconds.
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.orders_csv import orders_of

PATH = "/api/v1/orders/"
TOKEN_VARIABLE = "BENCH_API_TOKEN"  # a token allowed to import orders
TIMEOUT_S = 600


@dataclass
class Tally:
    """What the answers said, summed over every request."""

    seconds: float = 0.0
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    warnings: int = 0
    slowest: float = 0.0
    first_problem: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "requests": self.requests,
            "statuses": dict(self.statuses),
            "outcomes": dict(self.outcomes),
            "errors": self.errors,
            "warnings": self.warnings,
            "slowest": self.slowest,
            "first_problem": self.first_problem,
        }


def batches(path: Path, size: int) -> list[bytes]:
    """The file's orders as JSON bodies of ``size`` orders each (the last may be shorter)."""
    orders = list(orders_of(path))
    return [
        json.dumps(orders[start : start + size], separators=(",", ":")).encode()
        for start in range(0, len(orders), size)
    ]


def post_all(url: str, token: str, bodies: list[bytes], connections: int) -> Tally:
    """Post every body over ``connections`` connections at once; what came back."""
    target = urlsplit(url)
    host, port = target.hostname or "127.0.0.1", target.port
    tally, lock = Tally(), threading.Lock()
    queue = iter(bodies)

    def work() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
        try:
            while True:
                with lock:
                    body = next(queue, None)
                if body is None:
                    return
                status, answer, seconds = _post(connection, token, body)
                with lock:
                    _count(tally, status, answer, seconds)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.seconds = time.perf_counter() - started
    return tally


def _post(
    connection: http.client.HTTPConnection, token: str, body: bytes
) -> tuple[int, bytes, float]:
    # A well-behaved client sends a new Idempotency-Key with every request, so that it may
    # send it again after a lost answer; the server stores each key with its answer.
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Idempotency-Key": str(uuid.uuid4()),
    }
    started = time.perf_counter()
    # gunicorn's sync workers close the connection after each answer; http.client opens
    # a new one for the next request by itself (a fraction of a millisecond on loopback).
    connection.request("POST", PATH, body=body, headers=headers)
    response = connection.getresponse()
    answer = response.read()
    return response.status, answer, time.perf_counter() - started


def _count(tally: Tally, status: int, answer: bytes, seconds: float) -> None:
    tally.requests += 1
    tally.statuses[status] += 1
    tally.slowest = max(tally.slowest, seconds)
    try:
        parsed: Any = json.loads(answer)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or "orders" not in parsed:
        if not tally.first_problem:
            tally.first_problem = f"{status}: {answer[:2000].decode(errors='replace')}"
        return
    tally.outcomes.update(order["outcome"] for order in parsed["orders"])
    tally.errors += len(parsed.get("errors", []))
    tally.warnings += len(parsed.get("warnings", []))
    if parsed.get("errors") and not tally.first_problem:
        tally.first_problem = f"{status}: {json.dumps(parsed['errors'][:5])}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("url", help="the server, like http://127.0.0.1:8000")
    parser.add_argument("file", type=Path, help="a CSV file of orders (benchmarks.orders_csv)")
    parser.add_argument("--batch", type=int, default=500, help="orders per request")
    parser.add_argument("--connections", type=int, default=1, help="requests at once")
    args = parser.parse_args(argv)
    bodies = batches(args.file, args.batch)
    tally = post_all(args.url, os.environ[TOKEN_VARIABLE], bodies, args.connections)
    print(json.dumps(tally.as_json()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
