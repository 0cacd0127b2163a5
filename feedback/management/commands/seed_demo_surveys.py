"""Create the demo shop's post-purchase NPS survey with a year of answers (after the demo's
CLV run, whose segments and predicted CLV the answers keep)."""

from typing import Any

from django.core.management.base import BaseCommand

from feedback.demo import demo_survey_seed


class Command(BaseCommand):
    help = "Create the demo survey with its invitations and answers; left alone if it exists."

    def handle(self, *args: Any, **options: Any) -> None:
        seeded = demo_survey_seed()
        if seeded is None:
            self.stdout.write("The demo survey exists (or the shop has no customers).")
            return
        self.stdout.write(
            f"Survey {seeded.survey.name!r}: {seeded.invitations:,} invitations, "
            f"{seeded.responses:,} answers over the last 12 months."
        )
