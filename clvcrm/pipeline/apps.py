from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "clvcrm.pipeline"
    label = "pipeline"
    verbose_name = "clvcrm pipeline"

    def ready(self) -> None:
        # Registered in every process: an app queues the pipeline's tasks by name.
        from clvcrm.pipeline import tasks  # noqa: F401
