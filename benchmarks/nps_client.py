"""The NPS benchmark's client: survey answers posted to the public answer page.

Run by ``benchmarks.nps_answers`` as a process of its own (the server is another), as
``python -m benchmarks.nps_client URL TOKENS --connections 8``; ``TOKENS`` holds one
invitation token per line, or is ``malformed:N`` for N posts with a token no invitation
can have (the run's floor). Each connection is a thread with its own keep-alive
``http.client`` connection that first loads one answer page, as a customer's browser does,
for the CSRF cookie and the form's token, then posts the answers: scores in a shop's mix
(half promoters, a fifth detractors: ``SCORES``), a comment on every third. Each post comes
from its own client address (``X-Forwarded-For`` behind one trusted proxy), so the
per-address limit is checked but never reached.

It prints one JSON object: seconds from the first post sent to the last answer read,
posts, the answers' status codes, and each post's latency in seconds (p50, p95, p99, max).
"""

import argparse
import http.client
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import numpy as np

MALFORMED = "malformed:"
MALFORMED_TOKEN = "not-a-token"  # wrong length: refused before any query
TIMEOUT_S = 60
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
CSRF_COOKIE = re.compile(r"csrftoken=([^;]+)")


@dataclass
class Tally:
    """What one connection saw."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    first_problem: str = ""


def client_address(number: int) -> str:
    """A distinct private address per post (up to 2^24)."""
    return f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"


# Scores in the mix the issue's own example names (50 % promoters, 30 % passives, 20 %
# detractors: NPS +30), as a shop's answers come: one of every ten posts is a 10, a 9, ...
SCORES = (10, 9, 10, 9, 10, 8, 7, 8, 3, 6)


def answer_body(csrf: str, number: int) -> bytes:
    fields = {"csrfmiddlewaretoken": csrf, "score": str(SCORES[number % len(SCORES)])}
    if number % 3 == 0:
        fields["comment"] = f"Answer {number}: quick delivery, the packaging could be better."
    return urlencode(fields).encode()


class Connection:
    """One keep-alive connection with its CSRF cookie and form token."""

    def __init__(self, url: str, first_token: str) -> None:
        parts = urlsplit(url)
        host = parts.hostname or "127.0.0.1"
        self.http = http.client.HTTPConnection(host, parts.port, timeout=TIMEOUT_S)
        self.http.request("GET", f"/s/{first_token}/", headers={"X-Forwarded-For": "10.255.0.1"})
        page = self.http.getresponse()
        body = page.read()
        cookie = CSRF_COOKIE.search(page.getheader("Set-Cookie") or "")
        form = CSRF_FIELD.search(body)
        if page.status != 200 or cookie is None or form is None:
            raise SystemExit(f"the answer page answered {page.status} without a CSRF token")
        self.cookie = f"csrftoken={cookie.group(1)}"
        self.csrf = form.group(1).decode()

    def post(self, token: str, number: int) -> tuple[int, float]:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": self.cookie,
            "X-Forwarded-For": client_address(number),
        }
        started = time.perf_counter()
        body = answer_body(self.csrf, number)
        self.http.request("POST", f"/s/{token}/", body=body, headers=headers)
        answer = self.http.getresponse()
        answer.read()
        return answer.status, time.perf_counter() - started


def work(connection: Connection, posts: list[tuple[int, str]], tally: Tally, expected: int) -> None:
    for number, token in posts:
        status, seconds = connection.post(token, number)
        tally.latencies.append(seconds)
        tally.statuses[status] += 1
        if status != expected and not tally.first_problem:
            tally.first_problem = f"post {number}: status {status}"


def posts_of(source: str, first_number: int) -> tuple[list[tuple[int, str]], int, str]:
    """The posts (number, token), the status each should get and a token whose page loads."""
    if source.startswith(MALFORMED):
        count = int(source.removeprefix(MALFORMED))
        tokens = [MALFORMED_TOKEN] * count
        return list(enumerate(tokens, start=first_number)), 404, ""
    tokens = Path(source).read_text().split()
    return list(enumerate(tokens, start=first_number)), 200, tokens[0]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("url")
    parser.add_argument("tokens", help="a file of tokens, one per line, or malformed:N")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--page-token", default="", help="a token whose page gives the cookie")
    parser.add_argument("--first-number", type=int, default=0, help="numbers the posts' addresses")
    args = parser.parse_args(argv)
    posts, expected, page_token = posts_of(args.tokens, args.first_number)
    page_token = args.page_token or page_token
    connections = [Connection(args.url, page_token) for _ in range(args.connections)]
    tallies = [Tally() for _ in connections]
    shares = [posts[i :: len(connections)] for i in range(len(connections))]
    threads = [
        threading.Thread(target=work, args=(connection, share, tally, expected))
        for connection, share, tally in zip(connections, shares, tallies, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies = np.array([s for tally in tallies for s in tally.latencies])
    statuses: Counter[int] = sum((tally.statuses for tally in tallies), Counter())
    result: dict[str, Any] = {
        "seconds": seconds,
        "posts": len(latencies),
        "statuses": dict(statuses),
        "expected_status": expected,
        "p50": float(np.percentile(latencies, 50)),
        "p95": float(np.percentile(latencies, 95)),
        "p99": float(np.percentile(latencies, 99)),
        "max": float(latencies.max()),
        "first_problem": next((t.first_problem for t in tallies if t.first_problem), ""),
    }
    print(json.dumps(result))
    return 0 if set(statuses) == {expected} else 1


if __name__ == "__main__":
    raise SystemExit(main())
