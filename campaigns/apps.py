from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from campaigns.assignment import sqlite_functions_register

        connection_created.connect(sqlite_functions_register, dispatch_uid="campaigns_sqlite")
        # Registered in every process: services queue the sending tasks by name.
        from campaigns import tasks  # noqa: F401
