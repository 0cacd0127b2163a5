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
        _record_panel_register()


def _record_panel_register() -> None:
    """The customer page's NPS answers panel (customers never imports feedback)."""
    from customers.record.panels import RecordPanel, record_panel_register
    from feedback.selectors import customer_record_panel

    record_panel_register(
        RecordPanel(
            key="nps-answers",
            title="NPS answers",
            template_name="feedback/_customer_answers.html",
            provide=customer_record_panel,
            permissions=("feedback.view_response",),
            order=20,
        )
    )
