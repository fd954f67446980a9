"""Production refuses to keep mail on disk, and `check --deploy` refuses provider webhooks without their
authentication. Each case runs the settings or manage.py in a fresh interpreter, as test_settings.py does."""

from tests.pressroom.test_settings import PRODUCTION, load_settings, refusal, run

MAILGUN = {
    "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
    "ANYMAIL_MAILGUN_API_KEY": "key-x",
    "ANYMAIL_MAILGUN_SENDER_DOMAIN": "mg.example.no",
}


def deploy_check(env, tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    return result.returncode, result.stdout + result.stderr


def without_mail_backend():
    return {name: value for name, value in PRODUCTION.items() if name != "EMAIL_BACKEND"}


def test_production_without_a_mail_backend_refuses_to_start(tmp_path):
    message = refusal(without_mail_backend(), tmp_path)

    assert message.startswith("EMAIL_BACKEND is not set: in production (DEBUG off) mail would be kept")
    assert "django.core.mail.backends.smtp.EmailBackend" in message


def test_check_deploy_fails_without_a_mail_backend(tmp_path):
    code, output = deploy_check(without_mail_backend(), tmp_path)

    assert code != 0
    assert "EMAIL_BACKEND is not set" in output


def test_production_refuses_the_demo_mailbox_by_name(tmp_path):
    message = refusal({**PRODUCTION, "EMAIL_BACKEND": "pressroom.demo.devmail.EmailBackend"}, tmp_path)

    assert message.startswith("EMAIL_BACKEND is the demo's mailbox: in production (DEBUG off) mail would be")


def test_the_demo_keeps_its_mailbox(tmp_path):
    values = load_settings({"DEBUG": "true"}, tmp_path, "EMAIL_BACKEND", "EMAIL_WEBHOOK_PROVIDER")

    assert values == {"EMAIL_BACKEND": "pressroom.demo.devmail.EmailBackend", "EMAIL_WEBHOOK_PROVIDER": ""}


def test_check_deploy_names_a_missing_webhook_secret_and_signing_key(tmp_path):
    code, output = deploy_check({**PRODUCTION, **MAILGUN}, tmp_path)

    assert code != 0
    assert (
        "pressroom.E003) The mailgun tracking webhook is not authenticated: ANYMAIL_WEBHOOK_SECRET, "
        "ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY not set." in output
    )


def test_check_deploy_names_a_missing_signing_key_when_the_secret_is_set(tmp_path):
    code, output = deploy_check({**PRODUCTION, **MAILGUN, "ANYMAIL_WEBHOOK_SECRET": "hook:pass"}, tmp_path)

    assert code != 0
    assert "not authenticated: ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY not set." in output


def test_check_deploy_passes_with_the_webhook_authenticated(tmp_path):
    env = {
        **PRODUCTION,
        **MAILGUN,
        "ANYMAIL_WEBHOOK_SECRET": "hook:pass",
        "ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY": "signing",
    }

    code, output = deploy_check(env, tmp_path)

    assert code == 0, output
    assert "System check identified no issues" in output


def test_postmark_has_no_signing_key_and_needs_only_the_secret(tmp_path):
    env = {**PRODUCTION, "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend"}

    code, output = deploy_check(env, tmp_path)
    assert code != 0
    assert "The postmark tracking webhook is not authenticated: ANYMAIL_WEBHOOK_SECRET not set." in output

    code, output = deploy_check({**env, "ANYMAIL_WEBHOOK_SECRET": "hook:pass"}, tmp_path)
    assert code == 0, output


def test_a_webhook_provider_behind_smtp_is_checked_too(tmp_path):
    code, output = deploy_check({**PRODUCTION, "EMAIL_WEBHOOK_PROVIDER": "sendgrid"}, tmp_path)

    assert code != 0
    assert (
        "The sendgrid tracking webhook is not authenticated: ANYMAIL_WEBHOOK_SECRET, "
        "ANYMAIL_SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY not set." in output
    )


def test_an_unknown_webhook_provider_is_named(tmp_path):
    code, output = deploy_check({**PRODUCTION, "EMAIL_WEBHOOK_PROVIDER": "mailgunn"}, tmp_path)

    assert code != 0
    assert "EMAIL_WEBHOOK_PROVIDER is 'mailgunn', which has no anymail tracking webhook." in output
