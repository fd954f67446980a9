"""The settings read the environment once, at import: each case runs in a fresh interpreter."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(64)[:50],
    "SITE_URL": "https://press.example.no",
    "ALLOWED_HOSTS": "press.example.no",
    "DEBUG": "false",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def run(args, env, tmp_path):
    clean_env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(BASE_DIR),
        "PRESSROOM_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "pressroom.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, *args], env=clean_env, cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )


def load_settings(env, tmp_path, *names):
    """The values of NAMES as the settings module computes them under ENV."""
    code = (
        "import json, sys; from django.conf import settings; "
        "print(json.dumps({n: getattr(settings, n) for n in sys.argv[1:]}, default=str))"
    )
    result = run(["-c", code, *names], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refusal(env, tmp_path):
    """The ImproperlyConfigured message the settings stop with under ENV."""
    result = run(["-c", "from django.conf import settings; settings.DEBUG"], env, tmp_path)
    assert result.returncode != 0, "the settings should have refused to load"
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    return last_line.removeprefix("django.core.exceptions.ImproperlyConfigured: ")


def test_production_without_secret_key_refuses_to_start(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}

    message = refusal(env, tmp_path)

    assert message.startswith("SECRET_KEY is not set.")
    assert "SECRET_KEY_FILE" in message


def test_debug_unset_means_production(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k not in ("SECRET_KEY", "DEBUG")}

    assert refusal(env, tmp_path).startswith("SECRET_KEY is not set.")


@pytest.mark.parametrize("key", ["short", "x" * 39, "django-insecure-" + "x" * 50, "demo"])
def test_weak_secret_key_is_refused(tmp_path, key):
    message = refusal({**PRODUCTION, "SECRET_KEY": key}, tmp_path)

    assert message == "SECRET_KEY is too short or a known demo value: use 50 random characters."


def test_secret_key_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(PRODUCTION["SECRET_KEY"] + "\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"} | {"SECRET_KEY_FILE": str(key_file)}

    assert load_settings(env, tmp_path, "SECRET_KEY") == {"SECRET_KEY": PRODUCTION["SECRET_KEY"]}


def test_unreadable_secret_key_file_is_named(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    env["SECRET_KEY_FILE"] = str(tmp_path / "missing")

    assert refusal(env, tmp_path).startswith(f"SECRET_KEY_FILE={tmp_path / 'missing'} cannot be read")


@pytest.mark.parametrize("hosts", ["*", "press.example.no,*"])
def test_wildcard_allowed_hosts_is_refused(tmp_path, hosts):
    message = refusal({**PRODUCTION, "ALLOWED_HOSTS": hosts}, tmp_path)

    assert message == "ALLOWED_HOSTS must name the site's hosts; '*' is unsafe in production."


def test_http_site_url_is_refused_in_production(tmp_path):
    message = refusal({**PRODUCTION, "SITE_URL": "http://press.example.no"}, tmp_path)

    assert message.startswith("SITE_URL must use https:// in production (DEBUG off).")
    assert "ALLOW_HTTP" in message


def test_http_site_url_is_allowed_when_asked_for(tmp_path):
    env = {**PRODUCTION, "SITE_URL": "http://127.0.0.1:8000", "ALLOW_HTTP": "true"}

    values = load_settings(env, tmp_path, "SESSION_COOKIE_SECURE", "SECURE_HSTS_SECONDS")

    assert values == {"SESSION_COOKIE_SECURE": False, "SECURE_HSTS_SECONDS": 0}


def test_site_url_without_scheme_is_refused(tmp_path):
    message = refusal({**PRODUCTION, "SITE_URL": "press.example.no"}, tmp_path)

    assert message == "SITE_URL must start with http:// or https://, not 'press.example.no'."


@pytest.mark.parametrize(("name", "value"), [("DEBUG", "maybe"), ("PRESSROOM_MAX_UPLOAD_MB", "lots")])
def test_malformed_values_are_named(tmp_path, name, value):
    message = refusal({**PRODUCTION, name: value}, tmp_path)

    assert message.startswith(f"{name} must be a ")
    assert repr(value) in message


def test_demo_runs_without_any_secret(tmp_path):
    values = load_settings({"DEBUG": "true"}, tmp_path, "DEBUG", "SECRET_KEY", "SITE_URL", "REDIS_EMBEDDED")

    assert values["DEBUG"] is True
    assert values["SECRET_KEY"].startswith("django-insecure-")
    assert values["SITE_URL"] == "http://127.0.0.1:8000"
    assert values["REDIS_EMBEDDED"] is True


def test_production_security_settings(tmp_path):
    values = load_settings(
        PRODUCTION,
        tmp_path,
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "CSRF_TRUSTED_ORIGINS",
        "SILENCED_SYSTEM_CHECKS",
    )

    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_TRUSTED_ORIGINS": ["https://press.example.no"],
        "SILENCED_SYSTEM_CHECKS": ["security.W021"],
    }


def test_hsts_preload_is_an_opt_in(tmp_path):
    values = load_settings(
        {**PRODUCTION, "SECURE_HSTS_PRELOAD": "true"},
        tmp_path,
        "SECURE_HSTS_PRELOAD",
        "SILENCED_SYSTEM_CHECKS",
    )

    assert values == {"SECURE_HSTS_PRELOAD": True, "SILENCED_SYSTEM_CHECKS": []}


def test_deploy_checks_pass_with_production_settings(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_anymail_settings_come_from_the_environment(tmp_path):
    key_file = tmp_path / "sendgrid"
    key_file.write_text("from-a-file")
    env = {
        **PRODUCTION,
        "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
        "ANYMAIL_MAILGUN_API_KEY": "x",
        "ANYMAIL_MAILGUN_SENDER_DOMAIN": "mg.example.no",
        "ANYMAIL_SENDGRID_API_KEY_FILE": str(key_file),
    }

    values = load_settings(env, tmp_path, "ANYMAIL", "EMAIL_BACKEND")

    assert values["EMAIL_BACKEND"] == "anymail.backends.mailgun.EmailBackend"
    assert values["ANYMAIL"]["MAILGUN_API_KEY"] == "x"
    assert values["ANYMAIL"]["MAILGUN_SENDER_DOMAIN"] == "mg.example.no"
    assert "SENDGRID_API_KEY_FILE" not in values["ANYMAIL"]


def language_codes(env, tmp_path):
    """The codes of settings.LANGUAGES under ENV (their names are lazy translations)."""
    code = "from django.conf import settings; print(','.join(code for code, _ in settings.LANGUAGES))"
    result = run(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split(",")


def test_every_language_has_a_pressroom_by_default(tmp_path):
    assert language_codes(PRODUCTION, tmp_path) == ["nb", "nn", "en"]


def test_pressroom_languages_switches_a_language_off(tmp_path):
    assert language_codes({**PRODUCTION, "PRESSROOM_LANGUAGES": "en, NB"}, tmp_path) == ["nb", "en"]


def test_unknown_pressroom_languages_are_refused(tmp_path):
    message = refusal({**PRODUCTION, "PRESSROOM_LANGUAGES": "nb,se,de"}, tmp_path)

    assert (
        message
        == "PRESSROOM_LANGUAGES has unknown languages: se, de. Choose among nb, nn, en, separated by commas."
    )


def test_pressroom_languages_without_the_default_language_are_refused(tmp_path):
    message = refusal({**PRODUCTION, "PRESSROOM_LANGUAGES": "nn,en"}, tmp_path)

    assert message.startswith("PRESSROOM_LANGUAGES must include the default language LANGUAGE_CODE='nb'")
    assert message.endswith("Add nb to PRESSROOM_LANGUAGES.")


def test_an_unknown_default_language_is_refused(tmp_path):
    message = refusal({**PRODUCTION, "LANGUAGE_CODE": "de"}, tmp_path)

    assert message == "LANGUAGE_CODE must be one of nb, nn, en, not 'de'."
