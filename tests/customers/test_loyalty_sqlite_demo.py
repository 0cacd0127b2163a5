"""Demo mode: concurrent writers on the SQLite file queue instead of failing.

The suite's own SQLite database is in memory, where locking is not what the demo's file
database does, and on PostgreSQL runs there is no SQLite at all. So this test starts a
process of its own with the demo's settings (``clvcrm.settings.local``) on an SQLite file
in a temporary folder, migrates it and sends twenty redemptions through the points page
at once, each on its own thread and connection (``sqlite_demo_redemptions.py``). It runs
the same on every backend the suite runs on.

With SQLite's default deferred transactions, a redemption begins by reading and then needs
the write lock another writer holds: SQLite answers ``database is locked`` at once rather
than wait (waiting could deadlock). ``IMMEDIATE`` transactions take the write lock when
they begin, so writers wait their turn (up to the busy timeout) instead.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_twenty_concurrent_redemptions_on_the_demo_database_all_answer(tmp_path: Path):
    # The test settings put defaults into this process's environment: leave them out.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="clvcrm.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        ALLOWED_HOSTS="testserver",
        DEBUG="false",
    )
    result = subprocess.run(
        [sys.executable, "-m", "tests.customers.sqlite_demo_redemptions"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert (report["vendor"], report["journal_mode"]) == ("sqlite", "wal")
    # 1000 points, 20 redemptions of 70: 14 fit, 6 are refused for the balance, none fails.
    assert report["outcomes"] == {"redeemed": 14, "refused": 6}
    assert report["balance"] == report["ledger_sum"] == 1000 - 14 * 70 == 20
    assert report["redemptions"] == 14
