"""Shared fixtures: staff users per role, logged-in clients, service requirements."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from django.test import Client

from clvcrm.core.roles import roles_ensure

REQUIRE_SERVICES = os.environ.get("CLVCRM_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` skip on SQLite, except in CI where they must run."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql"))
    if REQUIRE_SERVICES and not on_postgres:
        raise pytest.UsageError("CLVCRM_REQUIRE_SERVICES=1 needs DATABASE_URL=postgres://...")
    if REQUIRE_SERVICES and not os.environ.get("CELERY_BROKER_URL"):
        raise pytest.UsageError("CLVCRM_REQUIRE_SERVICES=1 needs CELERY_BROKER_URL=redis://...")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skipif(True, reason="needs DATABASE_URL=postgres://"))


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: the API throttles' counts start at zero."""
    cache.clear()


@pytest.fixture
def make_staff(db) -> Callable[..., User]:
    """Create a staff user holding one role (a group created by the roles migration)."""

    def make(role: str, username: str | None = None) -> User:
        if not Group.objects.filter(name=role).exists():
            roles_ensure()  # a transactional test before this one flushed the migration's rows
        user = User.objects.create_user(
            username=username or role.lower(), password="secret-pass-123", is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def admin_client(make_staff) -> Client:
    client = Client()
    client.force_login(make_staff("Admin"))
    return client


@pytest.fixture
def analyst_client(make_staff) -> Client:
    client = Client()
    client.force_login(make_staff("Analyst"))
    return client


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write text to a CSV file in a temporary folder and return its path."""

    def write(text: str, name: str = "orders.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback; Django's email goes to it over SMTP."""
    from tests.smtp_sink import smtp_sink

    with smtp_sink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield sink
