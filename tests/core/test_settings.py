"""Settings from the environment: production hardening, safe defaults, strict values, SMTP."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "clvcrm.settings.production",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-that-is-long-and-random-1234567890",
    "ALLOWED_HOSTS": "crm.example.com",
    "SITE_URL": "https://crm.example.com",
    "DATABASE_URL": "sqlite:////tmp/clvcrm-check.sqlite3",
}


# What the test settings put into this process's environment: never passed to a child.
TEST_ONLY = {*PRODUCTION_ENV, "DJANGO_ALLOW_ASYNC_UNSAFE"}


def run_python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Python in a child process, in the repository, with ``env`` on top of this one's."""
    base = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``manage.py`` in a child process with ``env`` on top of this one's environment."""
    return run_python("manage.py", *args, env=env)


def test_production_settings_pass_the_deploy_check() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_refuses_a_site_url_without_https() -> None:
    env = {**PRODUCTION_ENV, "SITE_URL": "http://crm.example.com"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "clvcrm.W001" in result.stderr
    assert "SITE_URL is 'http://crm.example.com', not an https:// address." in result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "SITE_URL"])
def test_production_settings_have_no_default_secrets(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_email_url_sends_through_a_real_smtp_server() -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message) -> None:
            received.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = {
            "DJANGO_SETTINGS_MODULE": "clvcrm.settings.local",
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "DATABASE_URL": "sqlite:////tmp/clvcrm-mail.sqlite3",
        }
        result = run_manage("sendtestemail", "ops@example.com", env=env)
    finally:
        controller.stop()
    assert result.returncode == 0, result.stderr
    assert len(received) == 1
    assert received[0]["To"] == "ops@example.com"
    assert received[0]["Subject"].startswith("Test email from")


SHOW_SETTINGS = "from django.conf import settings as s; print(s.SETTINGS_MODULE, s.DEBUG)"
ENTRY_POINTS = {
    "manage.py": ["manage.py", "shell", "-c", SHOW_SETTINGS],
    "clvcrm.wsgi": ["-c", f"import clvcrm.wsgi; {SHOW_SETTINGS}"],
    "clvcrm.asgi": ["-c", f"import clvcrm.asgi; {SHOW_SETTINGS}"],
    "clvcrm.celery": ["-c", f"import clvcrm.celery; {SHOW_SETTINGS}"],
}


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_every_entry_point_defaults_to_the_production_settings(entry_point: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = run_python(*ENTRY_POINTS[entry_point], env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "clvcrm.settings.production False"


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_an_entry_point_started_with_nothing_set_refuses_to_run(entry_point: str) -> None:
    # A worker started without DJANGO_SETTINGS_MODULE used to run with DEBUG and a known key.
    result = run_python(*ENTRY_POINTS[entry_point], env={})
    assert result.returncode != 0
    assert "ImproperlyConfigured: Set the SECRET_KEY environment variable" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("DEBUG", "ture", "expected true or false (or yes/no, on/off, 1/0)"),
        ("CONN_MAX_AGE", "abc", "invalid literal for int() with base 10: 'abc'"),
        ("DATABASE_URL", "postgress//db", "expected a database URL (postgres://… or sqlite:///…)"),
        ("LOGIN_FAILURE_LIMIT", "0", "must be at least 1"),
        ("TRUSTED_PROXY_COUNT", "-1", "must be at least 0"),
        ("WEBHOOK_BODY_RETENTION_DAYS", "0", "must be at least 1"),
        (
            "WEBHOOK_CLIENT_IP_THROTTLE_RATE",
            "0/minute",
            "expected <count>/<second|minute|hour|day>, e.g. 600/minute",
        ),
        (
            "API_TOKEN_THROTTLE_RATE",
            "10/fortnight",
            "expected <count>/<second|minute|hour|day>, e.g. 600/minute",
        ),
    ],
)
def test_a_malformed_value_stops_the_start_and_names_the_variable(
    variable: str, value: str, reason: str
) -> None:
    result = run_manage("check", env={**PRODUCTION_ENV, variable: value})
    assert result.returncode != 0
    assert (
        f"ImproperlyConfigured: The environment variable {variable}={value!r} is invalid: {reason}"
        in result.stderr
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("Yes", True),
        ("on", True),
        ("1", True),
        ("false", False),
        (" no ", False),
        ("off", False),
        ("0", False),
    ],
)
def test_booleans_are_read_exactly(value: str, expected: bool) -> None:
    from clvcrm.settings.environment import StrictEnv

    env = StrictEnv()
    env.ENVIRON = {"DEBUG": value}
    assert env.bool("DEBUG") is expected
