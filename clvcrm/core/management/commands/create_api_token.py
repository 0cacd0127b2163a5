"""``manage.py create_api_token USERNAME [--name NAME]``: a new API token, printed once."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clvcrm.core.api_tokens import api_token_create
from clvcrm.core.model_fields import max_length
from clvcrm.core.models import ApiToken


class Command(BaseCommand):
    help = (
        "Create an API token for an active staff user and print it (as the last word). "
        "Only its hash is stored: copy it now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for, e.g. 'BI tool'")

    def handle(self, *args: Any, **options: Any) -> None:
        username, name = options["username"], options["name"]
        if len(name) > max_length(ApiToken, "name"):
            raise CommandError(f"--name is longer than {max_length(ApiToken, 'name')} characters.")
        user_model = get_user_model()
        # PostgreSQL refuses NUL in a query parameter; no such name can exist anyway.
        possible = "\x00" not in username and len(username) <= max_length(user_model, "username")
        user = user_model.objects.filter(username=username).first() if possible else None
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive: activate the account first.")
        if not user.is_staff:
            raise CommandError(f"User {username!r} is not staff: only staff use the API.")
        row, token = api_token_create(user=user, name=name)
        self.stdout.write(
            f"API token {row.prefix}… for {username} created; it is shown only now. Token: {token}"
        )
