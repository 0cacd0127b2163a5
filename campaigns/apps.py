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
