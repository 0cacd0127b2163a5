"""Settings shared by every run mode, read from the environment (12-factor).

Each variable is documented in ``.env.example``. ``local``, ``test`` and ``production``
build on this module and only change defaults and hardening.
"""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from clvcrm.settings.environment import StrictEnv

BASE_DIR = Path(__file__).resolve().parents[2]

env = StrictEnv()
StrictEnv.read_env(BASE_DIR / ".env")

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "clvcrm.core.apps.AdminConfig",  # django.contrib.admin on the project's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here: nothing downloaded
    "django_countries",
    "django_celery_beat",
    "axes",
    "csp",
    "anymail",
    # htmx's script, served from the installed package (static/django_htmx/): the staff
    # pages' partial updates (templates/base.html).
    "django_htmx",
    "clvcrm.core",
    "customers",
    "campaigns",
    "feedback",
    "clvcrm.pipeline",  # composes the apps: after them
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "clvcrm.core.middleware.RefuseNulCharactersMiddleware",
    # Before anything reads a request's session, user or body: a throttled client costs a
    # cache read and write, nothing more.
    "clvcrm.core.client_ip_throttle.ClientIpThrottleMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a login refused by the throttle into the lockout page; last, as axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clvcrm.urls"
WSGI_APPLICATION = "clvcrm.wsgi.application"
ASGI_APPLICATION = "clvcrm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clvcrm.core.context_processors.shop",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# Content-Security-Policy (django-csp): everything from this site only; scripts only from
# our static files or carrying the page's nonce (a fresh one per response, and only on
# pages that use it); no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # Style attributes only of these exact texts, which plotly.js writes with
        # setAttribute when it draws a heatmap (the cells' crisp "image-rendering"; an empty
        # style): a hash allows that one text and nothing else, unlike 'unsafe-inline'.
        "style-src-attr": [
            "'unsafe-hashes'",
            "'sha256-AR/cKIZjWPcPmBUPDA6oti9XBiTbJvz0Cro2J1VzzS8='",
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
        ],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The embedded default is an SQLite file next to the code; production sets DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while an import or a task writes. IMMEDIATE transactions
    # take the write lock as they begin, so concurrent writers wait their turn (up to the
    # timeout, in seconds) instead of failing with "database is locked" when a transaction
    # that began by reading finds another writer ahead of it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The throttle's backend refuses a locked-out client before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Plotly's own JavaScript, served from the installed package: no chart loads anything from
# elsewhere, and nothing of plotly is copied into this repository.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "clvcrm.core.static_finders.PlotlyFinder",
]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
# Uploaded order files hold customer data: a nightly task deletes them this many days after
# the upload (the import, its counts and its rejected rows stay).
UPLOAD_RETENTION_DAYS = env.int_at_least("UPLOAD_RETENTION_DAYS", 1, default=30)
# Uploads above this size are streamed to a temporary file, never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The largest order file the upload page takes (256 MiB: about 3 million order rows);
# larger files go through `manage.py import_orders` on a worker machine.
ORDER_IMPORT_MAX_UPLOAD_BYTES = env.int("ORDER_IMPORT_MAX_UPLOAD_BYTES", default=256 * 1024**2)
# The largest marketing spend file the upload page takes: a row per month and channel, read
# in memory (1 MiB is some 40,000 rows, decades of a hundred channels).
MARKETING_SPEND_MAX_UPLOAD_BYTES = env.int_at_least(
    "MARKETING_SPEND_MAX_UPLOAD_BYTES", 1, default=1024**2
)
# The largest shop webhook body accepted (an order of a few hundred lines is well under).
WEBHOOK_MAX_BODY_BYTES = env.int_at_least("WEBHOOK_MAX_BODY_BYTES", 1, default=1024**2)
# Shop webhook bodies hold customer data: a nightly task empties the body of processed
# deliveries this many days after they arrived (the event, its outcome and order id stay).
WEBHOOK_BODY_RETENTION_DAYS = env.int_at_least("WEBHOOK_BODY_RETENTION_DAYS", 1, default=30)
# The largest body POST /api/v1/orders/ accepts: 1,000 orders of a few lines each are well
# under; larger batches are split by the client, larger files go through the import.
ORDERS_API_MAX_BODY_BYTES = env.int_at_least("ORDERS_API_MAX_BODY_BYTES", 1, default=16 * 1024**2)
# How long an API write's Idempotency-Key and its first answer are kept (then a retry with
# the same key is a new request).
IDEMPOTENCY_KEY_HOURS = env.int_at_least("IDEMPOTENCY_KEY_HOURS", 1, default=24)
# Orders from the API and webhooks ask for the loyalty refresh; it runs this many seconds
# after the first request, once for every request until it starts (clvcrm.pipeline.steps).
PIPELINE_AFTER_ORDERS_SECONDS = env.int_at_least("PIPELINE_AFTER_ORDERS_SECONDS", 1, default=60)
# The dashboard's "customer at a date": acquired by then and with a completed order in that
# month or the KPI_CUSTOMER_WINDOW_MONTHS - 1 months before it (12: the last year).
KPI_CUSTOMER_WINDOW_MONTHS = env.int_at_least("KPI_CUSTOMER_WINDOW_MONTHS", 1, default=12)
# Orders from the API and webhooks refresh the dashboard's aggregates this many seconds after
# the first of them, once for all until it starts (the refresh reads every order).
KPI_REFRESH_AFTER_ORDERS_SECONDS = env.int_at_least(
    "KPI_REFRESH_AFTER_ORDERS_SECONDS", 1, default=300
)

# Campaigns. The trigger step claims this many segment transitions (or tier changes) per
# transaction; a sender claims this many messages per batch (one SMTP connection each).
CAMPAIGN_TRIGGER_BATCH = env.int_at_least("CAMPAIGN_TRIGGER_BATCH", 1, default=20_000)
CAMPAIGN_SEND_BATCH = env.int_at_least("CAMPAIGN_SEND_BATCH", 1, default=200)
# A sending task takes new batches for this long, then hands over to a fresh task.
CAMPAIGN_SEND_RUN_SECONDS = env.int_at_least("CAMPAIGN_SEND_RUN_SECONDS", 1, default=60)
# How many sending tasks run at once: one per worker process on the email queue.
CAMPAIGN_SEND_PARALLELISM = env.int_at_least("CAMPAIGN_SEND_PARALLELISM", 1, default=2)
# A claimed batch belongs to its sender this long; past it, the sweeper gives its unsent
# messages to another sender. The sending task's time limits stay below it.
CAMPAIGN_SEND_LEASE_SECONDS = env.int_at_least("CAMPAIGN_SEND_LEASE_SECONDS", 120, default=300)
# A transient SMTP error is retried after 1, 2, 4, ... minutes, at most this many attempts.
CAMPAIGN_SEND_MAX_ATTEMPTS = env.int_at_least("CAMPAIGN_SEND_MAX_ATTEMPTS", 1, default=6)
CAMPAIGN_RETRY_BASE_SECONDS = env.int_at_least("CAMPAIGN_RETRY_BASE_SECONDS", 1, default=60)
# The frequency cap shared by every marketing message: at most this many per customer in
# this many days (feedback messages, such as surveys, are not counted).
CAMPAIGN_CAP_MESSAGES = env.int_at_least("CAMPAIGN_CAP_MESSAGES", 1, default=2)
CAMPAIGN_CAP_DAYS = env.int_at_least("CAMPAIGN_CAP_DAYS", 1, default=7)
# The global control group: this share of customers (a stable hash of the customer id, so
# the same people whatever the campaign) is enrolled in no marketing campaign at all, so the
# programme page can measure what the whole retention programme adds. Feedback messages such
# as surveys still reach them. Off by default: withholding marketing is the shop's decision.
CAMPAIGN_GLOBAL_CONTROL_PERCENT = env.percent_up_to(
    "CAMPAIGN_GLOBAL_CONTROL_PERCENT", 50, default=0
)

# Email: console by default; EMAIL_URL=smtp://host:port (or smtp+tls://user:pass@host:587).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="clvcrm <noreply@localhost>")

# Celery: no broker means the embedded mode, where tasks run in-process at enqueue time.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Results are kept only where a chord needs them (the CLV fan-out's parts), in the broker's
# Redis unless told otherwise; every other task ignores its result.
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL) or None
if CELERY_TASK_ALWAYS_EAGER:
    # In-process tasks still pass through a producer that serialises their arguments: give
    # it kombu's in-memory transport rather than a default AMQP host that is not there.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 24 * 3600
# A task is acknowledged after it ran, not when a worker takes it: a worker killed mid-task
# leaves it on the broker for another worker, and every task is safe to run twice.
CELERY_TASK_ACKS_LATE = True
# ... and a task whose worker process died (SIGKILL, out of memory) is put back, not
# acknowledged as failed: the outbox's sends resume elsewhere.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A worker reserves one task at a time: a long CLV run never sits on tasks another worker
# could take, and a killed worker takes only its running task down with it.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers a task not acknowledged within the visibility timeout. It must be longer
# than any countdown (PIPELINE_AFTER_ORDERS_SECONDS) and any task's run (acks late), or the
# task would run twice at once; the sending tasks' hard time limit keeps them far below it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
# Emails have their own queue (and in production their own workers: docs/operations.md), so
# a long CLV run on the default queue never holds a campaign back.
CELERY_TASK_ROUTES = {
    "campaigns.tasks.messages_send": {"queue": "email"},
    "campaigns.tasks.outbox_sweep": {"queue": "email"},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Schedules live in the database (django-celery-beat) so staff can change them in the admin.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# The API (/api/v1/, README "API"): tokens or the staff session (with CSRF), the staff
# roles' model permissions (default deny), one error format, throttling per token and per
# client address.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials is answered 401 with WWW-Authenticate.
        "clvcrm.core.api_tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["clvcrm.core.permissions.StaffModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "clvcrm.core.api_pagination.CheckedCursorPagination",
    "PAGE_SIZE": 100,
    "UNAUTHENTICATED_USER": None,
    # Per client address, every request under /api/ is counted before DRF runs, failed
    # authentications included (clvcrm.core.client_ip_throttle, in MIDDLEWARE).
    "DEFAULT_THROTTLE_CLASSES": ["clvcrm.core.api_throttles.ApiTokenRateThrottle"],
    "EXCEPTION_HANDLER": "clvcrm.core.api_errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "clvcrm.core.api_schema.ErrorDocumentingAutoSchema",
}
# Requests per token and per client address ("<count>/<second|minute|hour|day>"), counted in
# the cache (CACHE_URL: one Redis shared by every web worker in production).
API_TOKEN_THROTTLE_RATE = env.rate("API_TOKEN_THROTTLE_RATE", default="1200/minute")
API_CLIENT_IP_THROTTLE_RATE = env.rate("API_CLIENT_IP_THROTTLE_RATE", default="2400/minute")
# Shop webhook deliveries per client address, counted before the signature is checked: the
# platforms send from shared addresses, and a shop whose deliveries keep failing loses its
# subscription, so the default is generous; a flood of forged signatures past it gets 429.
WEBHOOK_CLIENT_IP_THROTTLE_RATE = env.rate("WEBHOOK_CLIENT_IP_THROTTLE_RATE", default="3000/minute")
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
SPECTACULAR_SETTINGS = {
    "TITLE": "clvcrm API",
    "DESCRIPTION": (
        "Customers, their orders and scores. Authenticate with `Authorization: Bearer "
        "<token>` (`manage.py create_api_token USERNAME`) or the staff session. Every 4xx "
        'answers `{"errors": [{"field", "code", "message"}]}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["clvcrm.core.permissions.IsStaff"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Three sets of choices are called "type": the campaigns' triggers (staff may not pick
    # "direct"), and the surveys'.
    "ENUM_NAME_OVERRIDES": {
        "CampaignTriggerEnum": "campaigns.models.campaign.TriggerType",
        "CampaignStaffTriggerEnum": "campaigns.models.campaign.STAFF_TRIGGER_CHOICES",
        "SurveyTriggerEnum": "feedback.models.surveys.SurveyTrigger",
    },
}

# Login throttling (django-axes; clvcrm/core/login_throttle.py): failures per account and per
# client address, in the database so every web worker shares them, remembered for 24 hours.
LOGIN_FAILURE_LIMIT = env.int_at_least("LOGIN_FAILURE_LIMIT", 1, default=5)
LOGIN_LOCKOUT_MINUTES = env.int_at_least("LOGIN_LOCKOUT_MINUTES", 1, default=15)
# Reverse proxies in front of the app that append the client's address to X-Forwarded-For;
# 0 means clients connect directly and REMOTE_ADDR is their address.
TRUSTED_PROXY_COUNT = env.int_at_least("TRUSTED_PROXY_COUNT", 0, default=0)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(hours=24)
AXES_HANDLER = "clvcrm.core.login_throttle.BackoffDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "clvcrm.core.login_throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "clvcrm.core.login_throttle.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every manage.py command

# `seed_demo --reset` deletes every customer and order: only the local and test settings
# allow it.
DEMO_RESET_ALLOWED = False

# NPS surveys (feedback): a customer is invited at most once in this many days, whatever the
# survey; an invitation's link works this many days; an answer may be changed this many
# minutes after it was first given; the answer page's submissions per client address and
# per invitation token, per minute.
FEEDBACK_THROTTLE_DAYS = env.int_at_least("FEEDBACK_THROTTLE_DAYS", 0, default=90)
FEEDBACK_INVITATION_DAYS = env.int_at_least("FEEDBACK_INVITATION_DAYS", 1, default=30)
FEEDBACK_CHANGE_MINUTES = env.int_at_least("FEEDBACK_CHANGE_MINUTES", 0, default=30)
FEEDBACK_ANSWERS_PER_IP_PER_MINUTE = env.int_at_least(
    "FEEDBACK_ANSWERS_PER_IP_PER_MINUTE", 1, default=20
)
FEEDBACK_ANSWERS_PER_TOKEN_PER_MINUTE = env.int_at_least(
    "FEEDBACK_ANSWERS_PER_TOKEN_PER_MINUTE", 1, default=5
)
# A detractor's answer (0–6) opens a follow-up task for Support, due sooner for customers
# of higher predicted CLV: in FEEDBACK_FOLLOW_UP_TOP_DAYS days for the top
# FEEDBACK_FOLLOW_UP_TOP_PERCENT % of the latest CLV run, FEEDBACK_FOLLOW_UP_HIGH_DAYS for the
# top FEEDBACK_FOLLOW_UP_HIGH_PERCENT %, else (and without a prediction)
# FEEDBACK_FOLLOW_UP_DAYS. Assigned to the staff member FEEDBACK_FOLLOW_UP_ASSIGNEE
# (a username), or to nobody: Support takes it from the tasks inbox.
FEEDBACK_FOLLOW_UP_BANDS = tuple(
    (
        env.int_at_least(f"FEEDBACK_FOLLOW_UP_{band}_PERCENT", 1, default=percent),
        env.int_at_least(f"FEEDBACK_FOLLOW_UP_{band}_DAYS", 0, default=days),
    )
    for band, percent, days in (("TOP", 20, 1), ("HIGH", 50, 3))
)
for _percent, _ in FEEDBACK_FOLLOW_UP_BANDS:
    if _percent > 100:
        raise ImproperlyConfigured(f"FEEDBACK_FOLLOW_UP_*_PERCENT={_percent}: at most 100")
FEEDBACK_FOLLOW_UP_DAYS = env.int_at_least("FEEDBACK_FOLLOW_UP_DAYS", 0, default=7)
FEEDBACK_FOLLOW_UP_ASSIGNEE = env.str("FEEDBACK_FOLLOW_UP_ASSIGNEE", default="")

# The shop: one base currency; an order in another currency is rejected on import.
SHOP_NAME = env.str("SHOP_NAME", default="clvcrm demo shop")
SHOP_CURRENCY = env.str("SHOP_CURRENCY", default="USD").upper()
# The shop's postal address, in the footer of every marketing email (CAN-SPAM and most
# anti-spam laws ask for it), next to SHOP_NAME and the unsubscribe link.
SHOP_POSTAL_ADDRESS = env.str(
    "SHOP_POSTAL_ADDRESS", default="1 Example Street, Springfield 12345, United States"
)

# Bounces and complaints come back from the email service through django-anymail's
# tracking webhooks at /anymail/<esp>/tracking/ (docs/operations.md, "Campaign tracking"),
# which check HTTP basic auth against this "user:password" (put it in the webhook URL you
# give the ESP). ANYMAIL_TRACKING_ESP names the one service whose tracking webhook is
# served (anymail's name: postmark, mailgun, sendgrid, amazon_ses, ...). Either empty: the
# webhook URLs are not served (clvcrm/urls.py).
ANYMAIL = {"WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default="")}
ANYMAIL_TRACKING_ESP = env.str("ANYMAIL_TRACKING_ESP", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# CLV runs (each run records the values it used).
CLV_MODEL = env.str("CLV_MODEL", default="bgnbd")  # or "mbgnbd"
CLV_TIME_UNIT = env.str("CLV_TIME_UNIT", default="W")  # "W" weeks or "D" days
CLV_HORIZON_MONTHS = env.int("CLV_HORIZON_MONTHS", default=12)
CLV_MONTHLY_DISCOUNT_RATE = env.float("CLV_MONTHLY_DISCOUNT_RATE", default=0.01)
CLV_MARGIN = env.float("CLV_MARGIN", default=1.0)
CLV_FIT_SAMPLE_SIZE = env.int("CLV_FIT_SAMPLE_SIZE", default=None)
CLV_MIN_REPEAT_CUSTOMERS = env.int("CLV_MIN_REPEAT_CUSTOMERS", default=200)
# Customers per Celery task when scoring and writing fan out over many workers (a chord over
# customer-id ranges); 0 keeps the whole run in one process, the default.
CLV_FAN_OUT_CUSTOMERS_PER_PART = env.int("CLV_FAN_OUT_CUSTOMERS_PER_PART", default=0)
