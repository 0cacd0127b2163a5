from django.apps import AppConfig
from django.contrib.admin import apps as django_admin_apps


class CoreConfig(AppConfig):
    default = True  # of the two configurations here, the one for ``clvcrm.core``
    name = "clvcrm.core"
    label = "core"
    verbose_name = "clvcrm core"

    def ready(self) -> None:
        from clvcrm.core import checks, lookups  # noqa: F401  (register the checks, field__any)


class AdminConfig(django_admin_apps.AdminConfig):
    """Django's admin on the project's site, whose model admins check their parameters."""

    default = False
    default_site = "clvcrm.core.admin_site.CheckedAdminSite"
