"""Django settings, all read from the environment (see README's configuration table).

Defaults run the embedded set-up: SQLite in WAL mode under var/, tasks in the
database. DATABASE_URL switches to PostgreSQL, REDIS_URL to Redis + RQ tasks.
"""

import json
import logging
import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("FIRSTLINE_VAR_DIR", REPO_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("FIRSTLINE_DEBUG")
SECRET_KEY = os.environ.get("FIRSTLINE_SECRET_KEY", "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "FIRSTLINE_SECRET_KEY is not set. `./firstline demo` generates one into var/; "
        "production deployments must set it."
    )

ALLOWED_HOSTS = [
    h for h in os.environ.get("FIRSTLINE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("FIRSTLINE_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves its Swagger UI files from static, not a CDN
    "django_tasks_db",
    "django_rq",
    "firstline.core",
    "firstline.geo",
    "firstline.orgs",
    "firstline.estates",
    "firstline.access",
    "firstline.health",
    "firstline.sanitation",
    "firstline.notices",
    "firstline.surveys",
    "firstline.reports",
    "firstline.supplies",
    "firstline.volunteers",
    "firstline.consultations",
    "firstline.resumption",
    "firstline.training",
    "firstline.jobs",
    "firstline.market",
    "firstline.scenario",
    "firstline.publishing",
    # Wagtail, for the association's public site (publishing/): pages, revisions,
    # moderation, scheduled publishing, images and documents.
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail",
    "modelcluster",
    "taggit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "firstline.orgs.middleware.TwoFactorMiddleware",
    "firstline.orgs.middleware.ScopeMiddleware",
    # Read-only paths (REPLICA_READ_PATHS) read from a replica when replicas are set.
    "firstline.core.replicas.ReplicaReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign-in and public sign-up POSTs per client address, on the shared cache (429).
    "firstline.core.ratelimit.RateLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The Wagtail editor (/cms/) needs inline styles; every other page keeps the strict CSP.
    "firstline.publishing.middleware.EditorCSPMiddleware",
    # Last: refuses NUL and lone surrogates in the path, query and form fields (422).
    "firstline.core.middleware.TextInputMiddleware",
]

ROOT_URLCONF = "firstline.urls"
WSGI_APPLICATION = "firstline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "firstline.core.context_processors.shell",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Persistent connections: each server thread keeps its own (2 workers × 8
        # threads hold 16). Django's psycopg pool, tried first, cost 0.3 ms of CPU a
        # request to hand a connection out and back (bench/gate.py).
        DATABASES["default"]["CONN_MAX_AGE"] = int(
            os.environ.get("FIRSTLINE_DB_CONN_MAX_AGE", "600")
        )
        options = DATABASES["default"].setdefault("OPTIONS", {})
        # Django turns psycopg's prepared statements off, for connection poolers that
        # cannot keep them. Our connections are our own, so the gate's hot
        # statements (access/services/fastpath.py, server-side binding) are prepared after a few
        # runs: planning was most of the database's time per check-in. Set
        # FIRSTLINE_DB_PREPARE=0 behind a pooler that drops prepared statements.
        if env_bool("FIRSTLINE_DB_PREPARE", default=True):
            options["prepare_threshold"] = 5
        # Wagtail's search index declares a GinIndex on PostgreSQL, and Django's
        # system check (run by migrate) refuses one without the postgres contrib app.
        INSTALLED_APPS.insert(INSTALLED_APPS.index("firstline.core"), "django.contrib.postgres")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("FIRSTLINE_SQLITE_PATH", str(VAR_DIR / "firstline.sqlite3")),
            "OPTIONS": {
                # WAL lets the web server read while the worker writes.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Read replicas (core/replicas.py, docs/deploy.md): comma-separated PostgreSQL URLs of
# streaming replicas. Read-only pages (roll-ups, dashboards, exports, the public ledger
# and open data, the public site) read from a healthy one; writes, reads after a write
# and every other page stay on the primary. A replica that does not answer or whose
# replay lags more than REPLICA_MAX_LAG_SECONDS is skipped; its health is checked at
# most every REPLICA_HEALTH_SECONDS per process.
REPLICA_ALIASES: list[str] = []
for _number, _url in enumerate(
    (u.strip() for u in os.environ.get("DATABASE_REPLICA_URLS", "").split(",") if u.strip()),
    start=1,
):
    _alias = f"replica{_number}"
    DATABASES[_alias] = dj_database_url.parse(_url)
    DATABASES[_alias]["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
    _replica_options = DATABASES[_alias].setdefault("OPTIONS", {})
    if "prepare_threshold" in DATABASES["default"].get("OPTIONS", {}):
        _replica_options["prepare_threshold"] = DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    # A replica that is down costs at most this long, once per health period.
    _replica_options.setdefault(
        "connect_timeout", int(os.environ.get("FIRSTLINE_REPLICA_CONNECT_TIMEOUT", "2"))
    )
    # Tests run against the test database through this alias (Django's test mirror).
    DATABASES[_alias]["TEST"] = {"MIRROR": "default"}
    REPLICA_ALIASES.append(_alias)
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "30"))
REPLICA_HEALTH_SECONDS = float(os.environ.get("REPLICA_HEALTH_SECONDS", "5"))
# After a POST, the same browser reads the primary this long (reads its own writes).
REPLICA_STICKY_SECONDS = int(os.environ.get("REPLICA_STICKY_SECONDS", "10"))
# Paths whose GETs are read-only as a whole (Wagtail serves the public site itself);
# the app's own read-only views carry @replica_reads instead.
REPLICA_READ_PATHS = ["/site/"]
DATABASE_ROUTERS = ["firstline.core.replicas.ReplicaRouter"] if REPLICA_ALIASES else []

# --- Tasks ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    RQ_QUEUES = {}
# The cache: Redis (shared by every app host: rate limits, the public site's page cache)
# when FIRSTLINE_CACHE_URL or REDIS_URL is set; otherwise one per process, enough for
# one machine (the embedded default).
CACHE_URL = os.environ.get("FIRSTLINE_CACHE_URL", REDIS_URL)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("FIRSTLINE_CACHE_PREFIX", "firstline"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The periodic jobs, declared in one place and run by `manage worker`'s scheduler
# (firstline/core/scheduler.py): each slot once, however many workers run.
FIRSTLINE_SCHEDULE = "firstline.schedule.JOBS"

# --- Health data ------------------------------------------------------------
# Days after a case closes or a declaration is superseded before its rows are purged
# (the per-day counts stay).
HEALTH_RETENTION_DAYS = int(os.environ.get("FIRSTLINE_HEALTH_RETENTION_DAYS", "30"))
# Days gate events (whereabouts, temperatures), visitors and deliveries are kept
# before `manage purge_gate_data` deletes them; never less than a quota period.
GATE_RETENTION_DAYS = int(os.environ.get("FIRSTLINE_GATE_RETENTION_DAYS", "30"))
# How far ahead of the server's clock a gate event's device time may be; a later one
# (and one older than GATE_RETENTION_DAYS) is refused, not stored (docs/device-events.md).
DEVICE_CLOCK_SKEW_MINUTES = int(os.environ.get("FIRSTLINE_DEVICE_CLOCK_SKEW_MINUTES", "5"))
# A site's daily report for a day is due on the next day at this local time.
FIRSTLINE_REPORT_CUTOFF = os.environ.get("FIRSTLINE_REPORT_CUTOFF", "09:00")

# Text messages (health/services/sms.py): "console" (logs, sends nothing), "alibaba"
# (Alibaba Cloud SMS), "tencent" (Tencent Cloud SMS) or a backend class's dotted path.
FIRSTLINE_SMS_BACKEND = os.environ.get("FIRSTLINE_SMS_BACKEND", "console")
# Show the console backend's code on the page (set by `./firstline demo` only).
FIRSTLINE_SMS_SHOW_CODES = env_bool("FIRSTLINE_SMS_SHOW_CODES")
# The gateway's keys (Alibaba AccessKey ID/secret; Tencent SecretId/SecretKey), the
# signature name the provider approved, Tencent's SmsSdkAppId, the region, and the
# endpoint when not the provider's own (a host, or a URL to say http or https).
FIRSTLINE_SMS_KEY_ID = os.environ.get("FIRSTLINE_SMS_KEY_ID", "")
FIRSTLINE_SMS_KEY_SECRET = os.environ.get("FIRSTLINE_SMS_KEY_SECRET", "")
FIRSTLINE_SMS_SIGN_NAME = os.environ.get("FIRSTLINE_SMS_SIGN_NAME", "")
FIRSTLINE_SMS_APP_ID = os.environ.get("FIRSTLINE_SMS_APP_ID", "")
FIRSTLINE_SMS_REGION = os.environ.get("FIRSTLINE_SMS_REGION", "")
FIRSTLINE_SMS_ENDPOINT = os.environ.get("FIRSTLINE_SMS_ENDPOINT", "")
FIRSTLINE_SMS_TIMEOUT = int(os.environ.get("FIRSTLINE_SMS_TIMEOUT", "10"))  # seconds
# The provider's template per purpose: "otp=SMS_1,check_reminder=SMS_2,urgent_notice=SMS_3".
FIRSTLINE_SMS_TEMPLATES = dict(
    item.strip().split("=", 1)
    for item in os.environ.get("FIRSTLINE_SMS_TEMPLATES", "").split(",")
    if "=" in item
)
# One-time codes a phone, and a client address, may ask for: per minute and per day.
FIRSTLINE_SMS_OTP_PHONE_PER_MINUTE = int(os.environ.get("FIRSTLINE_SMS_OTP_PHONE_PER_MINUTE", "1"))
FIRSTLINE_SMS_OTP_PHONE_PER_DAY = int(os.environ.get("FIRSTLINE_SMS_OTP_PHONE_PER_DAY", "10"))
FIRSTLINE_SMS_OTP_IP_PER_MINUTE = int(os.environ.get("FIRSTLINE_SMS_OTP_IP_PER_MINUTE", "1"))
FIRSTLINE_SMS_OTP_IP_PER_DAY = int(os.environ.get("FIRSTLINE_SMS_OTP_IP_PER_DAY", "10"))

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "orgs.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["firstline.orgs.backends.LockoutModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
FIRSTLINE_REQUIRE_2FA = env_bool("FIRSTLINE_REQUIRE_2FA")
FIRSTLINE_LOCKOUT_ATTEMPTS = int(os.environ.get("FIRSTLINE_LOCKOUT_ATTEMPTS", "5"))
FIRSTLINE_LOCKOUT_MINUTES = int(os.environ.get("FIRSTLINE_LOCKOUT_MINUTES", "15"))
# POSTs per client address (core/ratelimit.py): "name=N/m,…" by URL name or path prefix.
FIRSTLINE_RATE_LIMITS = dict(
    item.strip().split("=", 1)
    for item in os.environ.get(
        "FIRSTLINE_RATE_LIMITS",
        "login=30/m,volunteers:join=10/m,volunteers:join_association=10/m,jobs:sign_up=10/m",
    ).split(",")
    if "=" in item
)
# Proxies (load balancers) in front of the app hosts that append to X-Forwarded-For.
FIRSTLINE_PROXY_COUNT = int(os.environ.get("FIRSTLINE_PROXY_COUNT", "0"))

# --- Personal data ----------------------------------------------------------
# "kid:base64key,kid:base64key": the first encrypts, all decrypt (rotation).
FIRSTLINE_DATA_KEYS = os.environ.get("FIRSTLINE_DATA_KEYS", "")
FIRSTLINE_HMAC_KEY = os.environ.get("FIRSTLINE_HMAC_KEY", "")

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# --- The public site (Wagtail) ---------------------------------------------------
WAGTAIL_SITE_NAME = "第一防线 · 协会知识库"
WAGTAILADMIN_BASE_URL = os.environ.get("FIRSTLINE_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAILDOCS_SERVE_METHOD = "serve_view"  # downloads go through a view, so they are counted
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx"]
WAGTAIL_ENABLE_UPDATE_CHECK = False  # nothing fetched at run time
WAGTAIL_ALLOW_UNICODE_SLUGS = True
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_WORKFLOW_ENABLED = True
FIRSTLINE_READING_FLUSH_SECONDS = float(os.environ.get("FIRSTLINE_READING_FLUSH_SECONDS", "2"))

FORMAT_MODULE_PATH = ["firstline.formats"]  # zh-hans numbers grouped 1,234,567
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files (front-end packages come from node_modules, git-ignored) --
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
NODE_MODULES = REPO_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/html5-qrcode", NODE_MODULES / "html5-qrcode"),
]
WHITENOISE_USE_FINDERS = True
# Uploaded files: one storage for every app host. FIRSTLINE_MEDIA_ROOT puts them on a
# shared mount; FIRSTLINE_STORAGE_BACKEND (a Storage class's dotted path) with
# FIRSTLINE_STORAGE_OPTIONS (JSON) puts them elsewhere, e.g. an object store.
STORAGES = {
    "default": {
        "BACKEND": os.environ.get(
            "FIRSTLINE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": (
            json.loads(os.environ["FIRSTLINE_STORAGE_OPTIONS"])
            if os.environ.get("FIRSTLINE_STORAGE_OPTIONS")
            else {"location": Path(os.environ.get("FIRSTLINE_MEDIA_ROOT", VAR_DIR / "media"))}
        ),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- Security -------------------------------------------------------------
# No 'unsafe-inline' anywhere: scripts and <style> blocks carry the request's nonce;
# style="…" attributes are refused, so sizes are classes in app.css (fl-w-*, fl-maxw-*)
# and htmx's indicator rules live there too (includeIndicatorStyles off in base.html).
# core/tests/test_security_headers.py holds this line.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# The Wagtail editor's pages (publishing/middleware.py): its own scripts and styles
# need inline styles; scripts stay same-origin.
EDITOR_CSP = {
    **SECURE_CSP,
    "script-src": [CSP.SELF, CSP.NONCE, CSP.UNSAFE_EVAL],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "frame-ancestors": [CSP.SELF],  # the editor's live preview is an iframe of itself
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("FIRSTLINE_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Signed links (a site's declaration QR code, a pass) stay on this origin.
SECURE_REFERRER_POLICY = "same-origin"


class OneLineRefusals(logging.Filter):
    """A 403 or 404 is an expected answer, not a fault: `django.request` logs it as its
    one line ("Forbidden (Permission denied): /path"), without the traceback Django
    attaches to a PermissionDenied or Http404. Server errors keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in (403, 404):
            record.exc_info = None
            record.exc_text = None
        return True


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_refusals": {"()": OneLineRefusals}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FIRSTLINE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"filters": ["one_line_refusals"]},
    },
}
