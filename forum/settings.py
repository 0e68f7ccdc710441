"""Stoa settings.

Development defaults are safe to run on a laptop (SQLite, DEBUG on). Production behaviour comes
from the environment: DEBUG=False, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL...
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file is convenient for development; real deployments set real variables.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str(
        "SECRET_KEY", default="django-insecure-stoa-development-key-not-for-production"
    )
else:
    # No default: a production process without a secret must not start.
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "accounts",
    "forum",
    "moderation",
    "integrations",
    # No models: it makes requests adopt only a readable charset (core.charsets).
    "core.apps.CoreConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First to read the query and form fields: an unreadable declared charset is a 400.
    "core.middleware.RefuseUnreadableCharsetMiddleware",
    # Anonymous pages and API reads from the cache, before sessions and users (forum.pagecache).
    "forum.pagecache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF and the views: a NUL in a URL, query or form field is a 400 everywhere.
    "core.middleware.RefuseNulMiddleware",
    # RateLimit-* headers on API answers that any limiter counted (core.throttles).
    "core.middleware.RateLimitHeadersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, resolving the user at once (accounts.middleware).
    "accounts.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.LastSeenMiddleware",
    "accounts.signin.SignInRefusalMiddleware",
    # Signed-in readers' pages from the cache, keyed by what is theirs (forum.pagecache).
    "forum.pagecache.ReaderPageCacheMiddleware",
]

# Every sign-in (pages, admin, API) goes through the limiter in this backend.
AUTHENTICATION_BACKENDS = ["accounts.signin.SignInLimitBackend"]

# Failed sign-ins (accounts.signin): per account and address pair, per address, and per
# account from anywhere (past which new addresses are slowed to one try per
# ACCOUNT_SLOW_SECONDS; the owner's usual addresses are not).
SIGNIN_LIMITS = {
    "PAIR": env.str("THROTTLE_LOGIN_PAIR", default="5/15min"),
    "ADDRESS": env.str("THROTTLE_LOGIN_ADDRESS", default="30/hour"),
    "ACCOUNT": env.str("THROTTLE_LOGIN_ACCOUNT", default="10/hour"),
    "ACCOUNT_SLOW_SECONDS": env.int("LOGIN_SLOW_SECONDS", default=60),
    "KNOWN_ADDRESS_DAYS": 90,
    # Requests that send mail: per client address and per target e-mail address.
    "SIGNUP_ADDRESS": env.str("THROTTLE_SIGNUP_ADDRESS", default="10/hour"),
    "SIGNUP_TARGET": env.str("THROTTLE_SIGNUP_TARGET", default="3/hour"),
    "RESET_ADDRESS": env.str("THROTTLE_RESET_ADDRESS", default="10/hour"),
    "RESET_TARGET": env.str("THROTTLE_RESET_TARGET", default="3/hour"),
}

ROOT_URLCONF = "stoa.urls"
WSGI_APPLICATION = "forum.wsgi.application"
ASGI_APPLICATION = "forum.asgi.application"

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
                "forum.context_processors.notifications",
                "moderation.context_processors.member_sanctions",
                "moderation.context_processors.notices",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: opening one per request costs PostgreSQL a fork and an
# authentication, about half the throughput of a simple page. Health checks make a worker
# notice a connection the server dropped (restart, failover) before using it, not during.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent dev-server requests wait for the write lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # One cache for every process: throttles and rate limits hold across workers.
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",  # Django's, with fewer round trips
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "stoa",
        }
    }
    # Sessions read from the cache, written through to the database: a signed-in page costs
    # no session query, and a flushed cache loses no session.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: Django calls every validator's password_changed() whenever a new password
    # is saved (change, reset, admin, changepassword), which is where API tokens are revoked.
    {"NAME": "accounts.passwords.RevokeTokensOnPasswordChange"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# The failure page keeps what the member typed (forum.views.csrf_failure).
CSRF_FAILURE_VIEW = "forum.views.csrf_failure"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "forum:index"
LOGOUT_REDIRECT_URL = "forum:index"

# E-mail: EMAIL_URL (smtp://, smtp+tls://, smtp+ssl://, consolemail://...) read by
# django-environ; without it, mail is printed to the console, which a system check refuses to
# let pass silently when DEBUG=False (integrations.checks).
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="stoa@localhost")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# Background work (Celery). The broker is CELERY_BROKER_URL (redis:// or amqp://), else
# REDIS_URL; with neither, tasks run eagerly in the process that enqueues them, after the
# transaction commits, so the SQLite quick start and the default tests need no extra service.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="stoa")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per worker process: with late acknowledgement a prefetched message
# would wait behind a long task, and a killed worker would hand back more than it was doing.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(days=1)
# Nothing reads a task's return value (enqueue drops the AsyncResult; failures are recorded by
# integrations.queue's signal): without this every publish also subscribed to the result's
# channel on Redis, and every worker stored a result nobody fetched. 0.15 to 0.2 ms of CPU
# per publish, two publishes per reply.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis hands an unacknowledged message to another worker after this many seconds; it must
# exceed the longest task (and any countdown a task is scheduled with).
# Workers look for such messages every unacked_restore_interval seconds; kombu 5.7 only scans
# on every tenth look by default (a message could wait 100 s past its timeout), so scan each
# time: one sorted-set range read.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
}
CELERY_TIMEZONE = "UTC"
# Periodic jobs, run by `celery -A forum beat` (one beat process per deployment).
CELERY_BEAT_SCHEDULE = {
    "clean-up": {"task": "integrations.tasks.clean_up", "schedule": timedelta(hours=1)},
    "webhook-retries": {
        "task": "integrations.tasks.webhook_retry_due",
        "schedule": timedelta(minutes=1),
    },
    "e-mail-sweep": {
        "task": "integrations.tasks.email_retry_pending",
        "schedule": timedelta(minutes=15),
    },
    # Urgent posts whose alert task was lost (broker down at screening) are alerted anyway.
    "urgent-alert-sweep": {
        "task": "moderation.tasks.urgent_alert_sweep",
        "schedule": timedelta(minutes=1),
    },
    # After a deploy with a new detector model, the undecided posts are screened again.
    "rescan-for-new-model": {
        "task": "moderation.tasks.rescan_for_new_model",
        "schedule": timedelta(hours=1),
    },
}

# Request bodies: the largest legitimate one is a post of 60,000 characters (up to 4 bytes
# each) plus form overhead; avatars go through FILE_UPLOAD_MAX_MEMORY_SIZE and their own check.
DATA_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Stoa's own limits.
STOA = {
    "POST_MAX_LENGTH": 60_000,
    "TITLE_MAX_LENGTH": 200,
    "POSTS_PER_PAGE": 20,
    "THREADS_PER_PAGE": 30,
    # Members one post may quote or mention (each is notified); new accounts (joined less
    # than NEW_ACCOUNT_HOURS ago or fewer than NEW_ACCOUNT_POSTS posts) get the lower cap.
    "CALLOUT_CAP": 10,
    "CALLOUT_CAP_NEW_ACCOUNT": 2,
    "NEW_ACCOUNT_HOURS": 24,
    "NEW_ACCOUNT_POSTS": 5,
    "QUOTES_PER_POST_MAX": 50,
    # Members whose reports moderators resolved as false FALSE_REPORT_LIMIT times in the last
    # FALSE_REPORT_DAYS: their reports no longer queue a post by themselves, and they get
    # FALSE_REPORTER_DAILY reports a day.
    "FALSE_REPORT_LIMIT": env.int("FALSE_REPORT_LIMIT", default=3),
    "FALSE_REPORT_DAYS": 90,
    "FALSE_REPORTER_DAILY": 3,
    # A new urgent post in the queue notifies every moderator and e-mails these addresses
    # (the on-duty rota's mailbox, say); SITE_URL makes the e-mail's link absolute.
    "MODERATION_ALERT_EMAILS": env.list("MODERATION_ALERT_EMAILS", default=[]),
    "SITE_URL": env.str("SITE_URL", default=""),
    # Shown with every urgent notice: where someone with suicidal thoughts gets help now, in
    # the deployment's country, e.g. "Thinking about suicide? Call or text 988 (US), any time."
    "CRISIS_LINE": env.str("CRISIS_LINE", default=""),
    # Search: a common query is ranked over its newest SEARCH_RANK_WINDOW matches (see
    # forum/search.py); no search statement runs longer than SEARCH_TIMEOUT_MS.
    "SEARCH_RANK_WINDOW": env.int("SEARCH_RANK_WINDOW", default=1000),
    "SEARCH_TIMEOUT_MS": env.int("SEARCH_TIMEOUT_MS", default=2000),
    # Anonymous pages served from the cache for this long at most (forum/pagecache.py); on
    # only with a cache every process shares.
    "PAGE_CACHE_SECONDS": env.int("PAGE_CACHE_SECONDS", default=300 if REDIS_URL else 0),
    # Signed-in readers' index, category and thread pages kept for them too (as long, keyed by
    # what is theirs); off, each of their views renders (from cached posts and rows).
    "READER_PAGE_CACHE": env.bool("READER_PAGE_CACHE", default=True),
    # Search results (hits, titles, snippets) kept under the content version, as long: the same
    # search again runs no statement until readers' content changes. A forum whose posts change
    # every few seconds gains little from them and may turn them off.
    "SEARCH_KEEP_RESULTS": env.bool("SEARCH_KEEP_RESULTS", default=True),
}

# Security. Production (DEBUG=False) gets HTTPS-only cookies, HSTS and redirects by default;
# each can be turned off from the environment behind a TLS-terminating proxy that needs it.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE_HTTPS)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser reads the stream directly, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    # check; this one enforces it (413) and turns nesting bombs into 400.
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    # Per user and per address; kept in the default cache, which is Redis when REDIS_URL is
    # set, so every process counts against the same limits.
    "DEFAULT_THROTTLE_RATES": {
        "post_user": env.str("THROTTLE_POST_USER", default="10/min"),
        "post_address": env.str("THROTTLE_POST_ADDRESS", default="30/min"),
        "edit_user": env.str("THROTTLE_EDIT_USER", default="10/min"),
        "edit_address": env.str("THROTTLE_EDIT_ADDRESS", default="30/min"),
        "report_user": env.str("THROTTLE_REPORT_USER", default="20/hour"),
        "report_address": env.str("THROTTLE_REPORT_ADDRESS", default="60/hour"),
        "upload_user": env.str("THROTTLE_UPLOAD_USER", default="10/hour"),
        "react_user": env.str("THROTTLE_REACT_USER", default="60/min"),
        "search_anon": env.str("THROTTLE_SEARCH_ANON", default="20/min"),
        "search_user": env.str("THROTTLE_SEARCH_USER", default="60/min"),
        # Password changes through the API: each one checks the old password (a guess).
        "password_user": env.str("THROTTLE_PASSWORD_USER", default="5/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # No OPTIONS metadata: apps read the OpenAPI schema instead.
    "DEFAULT_METADATA_CLASS": "core.api.metadata.AllowedMethodsMetadata",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Number of proxies in front of the app: X-Forwarded-For is trusted only that deep, so a
    # client cannot dodge per-address throttles by rotating the header.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)),
    # A token in use is extended to a full TTL as it is used, written at most once an hour:
    # an app used within every 30 days stays signed in; an unused one expires.
    "AUTO_REFRESH": True,
    "MIN_REFRESH_INTERVAL": 3600,
    "TOKEN_LIMIT_PER_USER": 20,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Stoa API",
    "DESCRIPTION": "REST API of the Stoa forum, for mobile clients.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Relative: the schema is served by the API it describes, whatever its host.
    "SERVERS": [{"url": "/", "description": "This Stoa site"}],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PostStateEnum": "forum.models.Post.State",
        "ReactionKindEnum": "forum.models.Reaction.Kind",
        "NotificationKindEnum": "forum.models.Notification.Kind",
        "ReportReasonEnum": "moderation.models.Report.Reason",
        "ReviewStatusEnum": "moderation.models.Review.Status",
        # A review's severity (none included) and the severities a moderator may set.
        "SeverityEnum": "moderation.models.Severity",
        "NoticeSeverityEnum": ["advice", "urgent"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Outgoing webhooks and push (integrations app).
# Webhook targets on private, loopback or link-local addresses are refused (no server-side
# request forgery) unless their network is listed here, e.g. "127.0.0.0/8" for local testing.
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
# First retry after this many seconds, doubling each time, for WEBHOOK_RETRY_HOURS in all.
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=24)
# An endpoint whose deliveries fail this many times in a row is disabled and its owner told.
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=10)
# A Matrix-style push gateway (POST {"notification": {...}} to .../_matrix/push/v1/notify);
# empty turns push off. Its address is trusted configuration, not checked like webhooks.
PUSH_GATEWAY_URL = env.str("PUSH_GATEWAY_URL", default="")
PUSH_TIMEOUT = env.float("PUSH_TIMEOUT", default=10.0)
# Periodic clean-up: accounts never activated are deleted after this many days.
UNACTIVATED_ACCOUNT_DAYS = env.int("UNACTIVATED_ACCOUNT_DAYS", default=7)
