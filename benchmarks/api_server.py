"""The API benchmark's server: gunicorn on loopback, and the CPU its side of a run spent.

gunicorn serves ``clvcrm.wsgi`` with sync workers (as ``docs/operations.md`` runs it) on a
free port of 127.0.0.1; the CPU time of its workers and of their PostgreSQL backends is
read from ``/proc``, so a run can say where its time went besides the wall clock.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from benchmarks import ROOT
from benchmarks.database import BenchmarkError
from benchmarks.measured_run import process_tree

READY_TIMEOUT_S = 60


def loopback_production_env(database_uri: str, redis: str, **extra: str) -> dict[str, str]:
    """The environment of gunicorn (and of Django in a benchmark's own process) on loopback:
    the production settings, HTTP without TLS on 127.0.0.1, a fresh secret key, the cache
    and broker in ``redis``; ``extra`` on top."""
    return {
        **os.environ,
        "DATABASE_URL": database_uri,
        "DJANGO_SETTINGS_MODULE": "clvcrm.settings.production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CACHE_URL": redis,
        "CELERY_BROKER_URL": redis,
        **extra,
    }


@contextmanager
def gunicorn(env: dict[str, str], workers: int, log: Path) -> Iterator[tuple[str, int]]:
    """gunicorn on a free loopback port with ``workers`` sync workers: its URL and pid.

    Its output goes to ``log``; it is stopped (SIGTERM, then SIGKILL) on the way out.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "clvcrm.wsgi",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "300",
        "--no-control-socket",  # its default path is shared by every gunicorn of the user
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_ready(url, process, workers, log)
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], workers: int, log: Path) -> None:
    """Until every worker has booted and the server answers (any status will do)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"gunicorn exited {process.returncode}:\n{log.read_text()}")
        booted = log.read_text().count("Booting worker")
        if booted >= workers:
            try:
                with urllib.request.urlopen(f"{url}/api/v1/orders/", timeout=5):
                    pass
            except urllib.error.HTTPError:
                pass  # 401 without a token: an answer all the same
            except OSError:
                time.sleep(0.2)
                continue
            time.sleep(1)  # the other workers finish loading the app
            return
        time.sleep(0.2)
    raise BenchmarkError(f"gunicorn did not answer within {READY_TIMEOUT_S} s:\n{log.read_text()}")


def tree_cpu(pid: int) -> float:
    """User + system seconds of ``pid``'s descendants (gunicorn's workers) so far."""
    return _cpu(process_tree(pid)[1:])


def backends_cpu(database_uri: str) -> float:
    """User + system seconds of the database's other client backends: the server's.

    gunicorn's workers opened their connections for this run (and keep them,
    ``CONN_MAX_AGE``), so what their backends spent is this run's PostgreSQL work.
    """
    with psycopg.connect(database_uri, autocommit=True) as conn:
        pids = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchall()
    return _cpu([pid for (pid,) in pids])


def _cpu(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            pass  # gone meanwhile
    return ticks / os.sysconf("SC_CLK_TCK")
