"""Real Celery worker processes on the test database and the real broker (Redis in CI)."""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
BROKER = os.environ.get("CELERY_BROKER_URL", "")


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def worker_start(
    name: str, *, queues: str = "celery", env: dict[str, str] | None = None
) -> subprocess.Popen:
    """A worker process on the test database consuming ``queues``; what it queues goes
    through the broker too, as in production."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "clvcrm.settings.test",
        "CLVCRM_TEST_WORKER": "1",
        **(env or {}),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clvcrm",
            "worker",
            f"--hostname={name}@%h",
            f"--queues={queues}",
            "--pool=solo",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=environment,
    )
