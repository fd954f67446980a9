"""Security headers as a browser receives them, on public pages, subscription pages, errors, feeds and the
admin: a strict CSP (no inline script anywhere), no framing, a referrer policy; in production over
HTTPS also HSTS and secure cookies. And the admin login stops checking passwords after repeated failures.
(`check --deploy` and the production settings themselves: tests/pressroom/test_settings.py; webhook
authentication with a wrong secret: tests/subscriptions/test_tracking.py.)
"""

import json
import re
import subprocess

import pytest
from django.contrib.auth import get_user_model

from tests.factories import NewsroomFactory, full_release
from tests.pressroom.test_settings import BASE_DIR, PRODUCTION, load_settings, refusal, run

pytestmark = pytest.mark.django_db

PASSWORD = "korrekt-hest-batteri-stift"


def policy(response):
    """The Content-Security-Policy of RESPONSE as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.fixture
def pages(db):
    NewsroomFactory()
    release = full_release(published=True)
    return ["/", release.get_absolute_url(), "/subscribe/", "/contacts/", "/finnes-ikke/", "/feed/rss/",
            "/api/v1/releases/", "/admin/login/"]  # fmt: skip


def test_every_response_carries_a_strict_csp_and_the_other_security_headers(client, admin_client, pages):
    release_admin = "/admin/newsroom/release/add/"  # the rich-text editor, the most script of any page
    for browser, url in [(client, url) for url in pages] + [(admin_client, release_admin)]:
        response = browser.get(url)
        csp = policy(response)
        # Our own files, and at most a per-response nonce (the admin's editor): no 'unsafe-inline', no
        # 'unsafe-eval', no other hosts.
        scripts = csp["script-src"]
        assert scripts[0] == "'self'" and all(source.startswith("'nonce-") for source in scripts[1:]), url
        assert csp["default-src"] == ["'self'"], url
        assert csp["object-src"] == ["'none'"], url
        assert csp["frame-ancestors"] == ["'none'"], url
        assert csp["base-uri"] == ["'self'"], url
        assert csp["form-action"] == ["'self'"], url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url


PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
secure = Client().get("/robots.txt", secure=True, HTTP_HOST="press.example.no")
plain = Client().get("/robots.txt", HTTP_HOST="press.example.no")
names = ["SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SECURE",
         "CSRF_COOKIE_SAMESITE", "LANGUAGE_COOKIE_SECURE"]
print(json.dumps({
    "hsts": secure.get("Strict-Transport-Security"),
    "plain": [plain.status_code, plain.get("Location")],
    "settings": {name: getattr(settings, name, None) for name in names},
}))
"""


def test_production_over_https_sends_hsts_redirects_http_and_marks_cookies_secure(tmp_path):
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}
    result = run(["-c", PROBE], env, tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["hsts"] == "max-age=31536000; includeSubDomains"
    assert seen["plain"] == [301, "https://press.example.no/robots.txt"]
    assert seen["settings"] == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "LANGUAGE_COOKIE_SECURE": False,  # the language choice is no secret
    }


# The admin login


@pytest.fixture
def editor(db, settings):
    settings.ADMIN_LOGIN_FAILURE_WINDOW = 10**8  # no window boundary inside a test
    return get_user_model().objects.create_user("redaktor", password=PASSWORD, is_staff=True)


def log_in(client, username, password, address="203.0.113.7"):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    return response.status_code == 302 and "_auth_user_id" in client.session


def test_after_five_failures_the_login_stops_checking_passwords_from_that_address(client, editor, settings):
    settings.ADMIN_LOGIN_FAILURE_LIMIT = 5
    for attempt in range(5):
        assert not log_in(client, "redaktor", f"gjetning-{attempt}")

    # The right password is not even checked now, for this editor or any other from the same address.
    response = client.post(
        "/admin/login/",
        {"username": "redaktor", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Too many failed logins." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not log_in(client, "someone-else", PASSWORD)

    # The next window starts afresh.
    from django.core.cache import cache

    cache.clear()
    assert log_in(client, "redaktor", PASSWORD)


def test_failures_for_one_username_from_many_addresses_throttle_that_username(client, editor, settings):
    settings.ADMIN_LOGIN_FAILURE_LIMIT = 5
    for attempt in range(5):
        assert not log_in(client, "Redaktor", f"gjetning-{attempt}", address=f"198.51.100.{attempt}")

    assert not log_in(client, "redaktor", PASSWORD, address="192.0.2.99")  # any case, a fresh address
    other = get_user_model().objects.create_user("kollega", password=PASSWORD, is_staff=True)
    assert log_in(client, other.username, PASSWORD, address="192.0.2.99")


def test_a_few_failures_do_not_lock_anyone_out(client, editor, settings):
    settings.ADMIN_LOGIN_FAILURE_LIMIT = 5
    for attempt in range(4):
        assert not log_in(client, "redaktor", f"gjetning-{attempt}")
    assert log_in(client, "redaktor", PASSWORD)


# Settings from the environment


def test_a_provider_timeout_from_the_environment_is_a_number(tmp_path):
    # As a string it reached requests, which refused it: every send of every mailing failed.
    env = {**PRODUCTION, "ANYMAIL_REQUESTS_TIMEOUT": "7.5"}
    assert load_settings(env, tmp_path, "ANYMAIL")["ANYMAIL"]["REQUESTS_TIMEOUT"] == 7.5

    message = refusal({**PRODUCTION, "ANYMAIL_REQUESTS_TIMEOUT": "soon"}, tmp_path)
    assert message == "ANYMAIL_REQUESTS_TIMEOUT must be a number of seconds, not 'soon'."


SECRET_PATTERNS = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|\bkey-[0-9a-f]{32}\b|SG\.[\w-]{22}\.[\w-]{43}"
    r"|xox[abps]-[\w-]{10,}|\bghp_[A-Za-z0-9]{36}\b"
)


def test_no_secret_is_committed():
    """Secrets come from the environment (or *_FILE): no key, password or token in the repository."""
    files = (
        subprocess.run(["git", "ls-files", "-z"], cwd=BASE_DIR, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    found = []
    for name in filter(None, files):
        path = BASE_DIR / name
        if path.suffix in (".png", ".jpg", ".mo", ".pdf", ".ico", ".woff2") or not path.is_file():
            continue
        if match := SECRET_PATTERNS.search(path.read_text(errors="replace")):
            found.append((name, match.group(0)[:12]))
    assert not found, found
