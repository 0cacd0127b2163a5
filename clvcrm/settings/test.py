"""Settings for the test suite: fast hashing, in-memory email unless EMAIL_URL is given.

DATABASE_URL and CELERY_BROKER_URL come from the environment like everywhere else, so the
same suite runs embedded (SQLite, in-process tasks) or against PostgreSQL and Redis (CI).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# The ESP webhooks' basic auth (tests/campaigns/test_tracking_bounces.py posts with it).
os.environ.setdefault("ANYMAIL_WEBHOOK_SECRET", "esp-hooks:test-webhook-secret")
os.environ.setdefault("ANYMAIL_TRACKING_ESP", "postmark")

from clvcrm.settings.base import *  # noqa: F403

DEMO_RESET_ALLOWED = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if "EMAIL_URL" not in os.environ:  # a test's worker process may be given a real server
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the app folders, as in development: tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# Tasks run in-process in tests, even when CELERY_BROKER_URL is set; the tests that prove
# the real path start real workers against the broker (tests/customers/test_worker.py),
# which queue the tasks that follow theirs through the broker too, as in production.
CELERY_TASK_ALWAYS_EAGER = not env.bool("CLVCRM_TEST_WORKER", default=False)  # noqa: F405
MEDIA_ROOT = env.path("MEDIA_ROOT", default="/tmp/clvcrm-test-media")  # noqa: F405

# Throttling is tested with its own low rates (tests/core/test_api.py,
# tests/customers/test_webhook_throttle.py); elsewhere no test is throttled, and
# tests/conftest.py empties the cache before each test.
API_TOKEN_THROTTLE_RATE = "1000000/minute"
API_CLIENT_IP_THROTTLE_RATE = "1000000/minute"
WEBHOOK_CLIENT_IP_THROTTLE_RATE = "1000000/minute"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
