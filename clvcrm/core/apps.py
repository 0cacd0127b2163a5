from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clvcrm.core"
    label = "core"
    verbose_name = "clvcrm core"

    def ready(self) -> None:
        from clvcrm.core import lookups  # noqa: F401  (registers field__any)
