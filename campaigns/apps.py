from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        from anymail.signals import tracking
        from django.db.backends.signals import connection_created

        from campaigns.assignment import sqlite_functions_register
        from campaigns.receivers import tracking_event_receive

        connection_created.connect(sqlite_functions_register, dispatch_uid="campaigns_sqlite")
        # Hard bounces and complaints from the email service (anymail's webhooks) suppress
        # the address: the one signal the app listens to, because anymail speaks only so.
        tracking.connect(tracking_event_receive, dispatch_uid="campaigns_esp_tracking")
        # Registered in every process: services queue the sending tasks by name.
        from campaigns import tasks  # noqa: F401

        _record_panel_register()


def _record_panel_register() -> None:
    """The customer page's Campaign messages panel (customers never imports campaigns)."""
    from campaigns.results.customer_record import customer_record_panel
    from customers.record.panels import RecordPanel, record_panel_register

    record_panel_register(
        RecordPanel(
            key="campaign-messages",
            title="Campaign messages",
            template_name="campaigns/_customer_messages.html",
            provide=customer_record_panel,
            permissions=("campaigns.view_assignment", "campaigns.view_message"),
            order=10,
        )
    )
