"""The benchmarks start Django with the embedded settings, whatever imports clvcrm first."""

import os
import subprocess
import sys

from benchmarks import ROOT

# What a benchmark does first: it imports the app (clvcrm's Celery module defaults the process
# to the production settings), then starts ``manage.py`` with ``django_env``.
BENCHMARK_START = """
import subprocess, sys
from benchmarks.database import django_env
import clvcrm
env = django_env("postgres://postgres@127.0.0.1:5432/clvcrm_bench_unused")
print(env["DJANGO_SETTINGS_MODULE"], env["DEBUG"])
check = [sys.executable, "manage.py", "check"]
done = subprocess.run(check, env=env, capture_output=True, text=True)
print(done.returncode, *done.stderr.strip().splitlines()[-1:])
"""


def test_a_benchmark_started_without_settings_runs_the_app_with_debug_off() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY")}
    env.pop("DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-c", BENCHMARK_START],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == ["clvcrm.settings.local false", "0"]
