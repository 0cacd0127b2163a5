"""Embedded mode for the demo and for development: SQLite, in-process tasks, console email."""

import os

os.environ.setdefault("SECRET_KEY", "insecure-local-development-key-do-not-use-in-production")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
# The demo holds 5% of its customers out of every marketing campaign, so the programme page
# has a control group to compare with.
os.environ.setdefault("CAMPAIGN_GLOBAL_CONTROL_PERCENT", "5")

from clvcrm.settings.base import *  # noqa: F403

DEMO_RESET_ALLOWED = True

WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
