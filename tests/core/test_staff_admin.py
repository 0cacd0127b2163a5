"""The Admin role manages staff in the Django admin but cannot climb to superuser."""

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"  # the make_staff fixture's
NEW_PASSWORD = "brand-New-pass-9876"


@pytest.fixture
def admin_user(make_staff) -> User:
    return make_staff("Admin", "alice")


@pytest.fixture
def alice(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def root() -> User:
    return User.objects.create_superuser("root", "root@example.com", PASSWORD)


def _change_url(user: User) -> str:
    return f"/admin/auth/user/{user.pk}/change/"


def _form(user: User, **changes: Any) -> dict[str, Any]:
    """The user's change form as the admin page would post it, with ``changes`` applied."""
    values: dict[str, Any] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": [group.pk for group in user.groups.all()],
        "user_permissions": [perm.pk for perm in user.user_permissions.all()],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
        **changes,
    }
    # A ticked box is posted as "on", an unticked one not at all.
    return {
        key: "on" if value is True else value for key, value in values.items() if value is not False
    }


def _password_form(password: str) -> dict[str, str]:
    return {"password1": password, "password2": password, "usable_password": "true"}


def test_an_admin_cannot_make_itself_superuser(alice: Client, admin_user: User) -> None:
    every_permission = list(Permission.objects.values_list("pk", flat=True))
    response = alice.post(
        _change_url(admin_user),
        _form(admin_user, is_superuser=True, user_permissions=every_permission),
    )
    assert response.status_code == 302  # saved, without the fields it may not set
    admin_user.refresh_from_db()
    assert admin_user.is_superuser is False
    assert admin_user.user_permissions.count() == 0
    assert list(admin_user.groups.values_list("name", flat=True)) == ["Admin"]


def test_an_admin_cannot_give_a_group_outside_the_roles(alice: Client, admin_user: User) -> None:
    everything = Group.objects.create(name="Everything")
    everything.permissions.set(Permission.objects.all())
    response = alice.post(_change_url(admin_user), _form(admin_user, groups=[everything.pk]))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "groups": [f"Select a valid choice. {everything.pk} is not one of the available choices."]
    }
    assert list(admin_user.groups.values_list("name", flat=True)) == ["Admin"]


def test_an_admin_cannot_change_a_superuser(alice: Client, root: User) -> None:
    page = alice.get(_change_url(root))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False  # shown read-only
    response = alice.post(_change_url(root), _form(root, is_active=False, email="x@example.com"))
    assert response.status_code == 403
    root.refresh_from_db()
    assert (root.is_active, root.email) == (True, "root@example.com")


def test_an_admin_cannot_change_a_superusers_password(alice: Client, root: User) -> None:
    url = f"/admin/auth/user/{root.pk}/password/"
    assert alice.get(url).status_code == 403
    assert alice.post(url, _password_form(NEW_PASSWORD)).status_code == 403
    root.refresh_from_db()
    assert root.check_password(PASSWORD)


def test_an_admin_cannot_change_a_group(alice: Client) -> None:
    support = Group.objects.get(name="Support")
    before = set(support.permissions.values_list("pk", flat=True))
    response = alice.post(
        f"/admin/auth/group/{support.pk}/change/",
        {"name": "Support", "permissions": list(Permission.objects.values_list("pk", flat=True))},
    )
    assert response.status_code == 403
    assert set(support.permissions.values_list("pk", flat=True)) == before


def test_an_admin_creates_edits_and_deactivates_staff(alice: Client) -> None:
    response = alice.post(
        "/admin/auth/user/add/", {"username": "newbie", **_password_form(NEW_PASSWORD)}
    )
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    support = Group.objects.get(name="Support")

    response = alice.post(_change_url(newbie), _form(newbie, is_staff=True, groups=[support.pk]))
    assert response.status_code == 302
    newbie.refresh_from_db()
    assert newbie.is_staff is True
    assert list(newbie.groups.values_list("name", flat=True)) == ["Support"]

    url = f"/admin/auth/user/{newbie.pk}/password/"
    assert alice.post(url, _password_form("another-Pass-5432")).status_code == 302
    assert alice.post(_change_url(newbie), _form(newbie, is_active=False)).status_code == 302
    newbie.refresh_from_db()
    assert newbie.is_active is False
    assert newbie.check_password("another-Pass-5432")


def test_a_superuser_grants_superuser_and_permissions(root: User, make_staff) -> None:
    maria = make_staff("Support", "maria")
    permission = Permission.objects.get(codename="delete_user")
    client = Client()
    client.force_login(root)
    response = client.post(
        _change_url(maria), _form(maria, is_superuser=True, user_permissions=[permission.pk])
    )
    assert response.status_code == 302
    maria.refresh_from_db()
    assert maria.is_superuser is True
    assert list(maria.user_permissions.all()) == [permission]
    url = f"/admin/auth/user/{root.pk}/password/"
    assert client.post(url, _password_form(NEW_PASSWORD)).status_code == 302


def test_an_admin_lifts_a_login_lock(alice: Client) -> None:
    attempt = AccessAttempt.objects.create(
        username="maria",
        ip_address="203.0.113.5",
        user_agent="",
        http_accept="",
        path_info="/login/",
        get_data="",
        post_data="",
        failures_since_start=5,
    )
    response = alice.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
