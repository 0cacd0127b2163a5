"""``manage.py demo_login``: create (or reset) the demo staff user and print its login."""

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create or reset the demo staff user (Admin role) and print its login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", help="default: a new random password")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or secrets.token_urlsafe(9)
        user, _ = get_user_model().objects.get_or_create(username=options["username"])
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name="Admin"))
        line = "=" * 64
        self.stdout.write(
            f"{line}\n  clvcrm is starting on {settings.SITE_URL}/\n"
            f"  Log in as: {user.username}\n  Password:  {password}\n{line}"
        )
