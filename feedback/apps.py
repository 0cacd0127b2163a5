from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback (NPS)"

    def ready(self) -> None:
        from campaigns.content.extensions import (
            context_provider_register,
            link_untracked_register,
        )
        from campaigns.models import CampaignKind
        from feedback.email_context import ANSWER_PATH, SURVEY_CONTEXT

        # A survey's invitation email names its question and 0–10 links; the links carry
        # the invitation's token, so they are never stored as click-through links.
        context_provider_register(CampaignKind.FEEDBACK, SURVEY_CONTEXT)
        link_untracked_register(ANSWER_PATH)
