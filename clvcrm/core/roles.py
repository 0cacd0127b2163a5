"""Staff roles as Django groups, and the permissions each one holds.

Migrations call :func:`roles_sync` so the groups exist on every database; later apps add
their permissions here and ship a migration that calls it again.
"""

from typing import Any

LOYALTY_VIEW = (
    "view_loyaltytier",
    "view_loyaltysettings",
    "view_loyaltystatus",
    "view_loyaltytierchange",
    "view_pointsentry",
    "view_pointsbalance",
)

CAMPAIGNS_VIEW = (
    "view_campaign",
    "view_variant",
    "view_assignment",
    "view_message",
    "view_messageevent",
    "view_suppression",
)

FEEDBACK_VIEW = ("view_invitation", "view_response")

OPERATIONS = ("view_operations", "start_recalculation", "view_taskfailure", "view_auditentry")

# Marketing spend: Marketing (and Admin, with every permission) enter it; the others see it
# with the CAC it gives.
MARKETING_SPEND_VIEW = ("view_marketingspend",)
MARKETING_SPEND_CHANGE = (
    "view_marketingspend",
    "add_marketingspend",
    "change_marketingspend",
    "delete_marketingspend",
)

# The customer record's notes and follow-up tasks: everyone sees them; Support works the
# tasks (and writes notes on them), Marketing writes notes.
INTERACTIONS_VIEW = ("view_customernote", "view_customertask")
INTERACTIONS_WORK = (
    *INTERACTIONS_VIEW,
    "add_customernote",
    "add_customertask",
    "change_customertask",
)

ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    # app label -> codenames (``*`` means every permission of that app)
    "Admin": {
        "customers": ("*",),
        "campaigns": ("*",),
        "feedback": ("*",),
        # Staff accounts, within limits the user admin enforces (clvcrm/core/admin.py): no
        # superuser flag, no permissions outside the roles, no change to a superuser.
        "auth": ("view_user", "add_user", "change_user", "view_group"),
        # The login throttle's records: deleting an access attempt lifts its lock.
        "axes": (
            "view_accessattempt",
            "delete_accessattempt",
            "view_accesslog",
            "view_accessfailurelog",
        ),
        # The staff's API tokens: listed with their last use, revoked (clvcrm/core/admin.py).
        # The operations page: runs, imports, sends, queues, failed tasks; a recalculation.
        "core": ("view_apitoken", "change_apitoken", *OPERATIONS),
        # The nightly CLV schedule and other periodic tasks.
        "django_celery_beat": ("*",),
    },
    "Marketing": {
        "customers": (
            "view_customer",
            "view_order",
            "view_orderline",
            "view_product",
            "view_acquisitionchannel",
            "change_acquisitionchannel",
            "export_customer",
            # Segments: the pages, the customer page's segment and the outbox (read-only).
            "view_segment",
            "view_customersegment",
            "view_segmenttransition",
            "view_segmentstatistic",
            "view_segmentthresholds",
            "view_customsegmentmembership",
            "add_segment",
            "change_segment",
            "delete_segment",
            # Marketing runs the loyalty programme: tiers and settings, not the balances.
            *LOYALTY_VIEW,
            "add_loyaltytier",
            "change_loyaltytier",
            "change_loyaltysettings",
            *MARKETING_SPEND_CHANGE,
            *INTERACTIONS_VIEW,
            "add_customernote",
        ),
        # Marketing runs the campaigns: create, edit, activate, pause, finish.
        "campaigns": ("*",),
        # And the NPS surveys: create, edit, invite; the answers, read-only.
        "feedback": ("view_survey", "add_survey", "change_survey", *FEEDBACK_VIEW),
    },
    "Support": {
        "customers": (
            "view_customer",
            "change_customer",
            "view_order",
            "view_orderline",
            "view_product",
            "view_acquisitionchannel",
            "import_orders",
            "view_orderimport",
            "view_importrejection",
            "view_segment",
            "view_customersegment",
            # Support answers the customers: they redeem points and correct balances.
            *LOYALTY_VIEW,
            "redeem_points",
            "adjust_points",
            *MARKETING_SPEND_VIEW,
            *INTERACTIONS_WORK,
        ),
        # Support sees what a customer was sent, and what they answered.
        "campaigns": CAMPAIGNS_VIEW,
        "feedback": ("view_survey", *FEEDBACK_VIEW),
    },
    "Analyst": {
        "customers": (
            "view_customer",
            "view_order",
            "view_orderline",
            "view_product",
            "view_acquisitionchannel",
            "view_orderimport",
            "view_importrejection",
            "export_customer",
            # Segments: the pages, the customer page's segment and the outbox (read-only).
            "view_segment",
            "view_customersegment",
            "view_segmenttransition",
            "view_segmentstatistic",
            "view_segmentthresholds",
            "view_customsegmentmembership",
            *LOYALTY_VIEW,
            *MARKETING_SPEND_VIEW,
            *INTERACTIONS_VIEW,
        ),
        "campaigns": CAMPAIGNS_VIEW,
        "feedback": ("view_survey", *FEEDBACK_VIEW),
    },
}


def roles_sync(apps: Any, schema_editor: Any) -> None:
    """Migration entry point: see :func:`roles_ensure`."""
    roles_ensure(apps=apps, using=schema_editor.connection.alias)


def roles_ensure(*, apps: Any = None, using: str = "default") -> None:
    """Create the role groups and give each exactly the permissions listed in ``ROLES``.

    Runs inside migrations, where permissions of freshly migrated apps do not exist yet,
    so they are created first. Safe to run again at any time.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=using)
        app_config.models_module = models_module
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, grants in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for app_label, codenames in grants.items():
            perms = permission_model.objects.filter(content_type__app_label=app_label)
            if codenames != ("*",):
                perms = perms.filter(codename__in=codenames)
            wanted.extend(perms)
        group.permissions.set(wanted)
