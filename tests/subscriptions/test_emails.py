import pytest

from subscriptions import emails, tokens

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_confirmation_has_both_parts_an_expiring_link_and_no_list_headers(newsroom, mailoutbox):
    subscriber = SubscriberFactory(pending=True, email="kari@example.no")
    emails.confirmation_message(subscriber).send()
    [message] = mailoutbox
    assert message.to == ["kari@example.no"]
    assert message.subject == (
        "Confirm your subscription to press releases from Integrerings- og mangfoldsdirektoratet"
    )
    # The Message-ID is recorded in the ledger; automatic mail says so; no List-* headers before consent.
    assert set(message.extra_headers) == {"Message-ID", "Auto-Submitted"}
    parsed = message.message()
    assert parsed.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parsed.get_payload()] == ["text/plain", "text/html"]
    token = message.body.split("/subscribe/confirm/")[1].split("/")[0]
    assert tokens.read_token(token, tokens.CONFIRM) == subscriber


def test_confirmation_html_is_accessible_and_inlined(newsroom, mailoutbox):
    emails.confirmation_message(SubscriberFactory(pending=True)).send()
    html = mailoutbox[0].alternatives[0][0]
    assert '<html lang="en">' in html
    assert "<title>Confirm your subscription</title>" in html
    # Only the dark-mode rules stay a style element (media queries cannot be inlined).
    assert html.count("<style") == 1 and "@media (prefers-color-scheme: dark)" in html
    # The button is a real link with text, white on the accent colour (7:1).
    assert 'class="button"' in html and "color: #ffffff" in html and "background: #0b57a4" in html
    assert ">Confirm subscription</a>" in html
    assert "<img" not in html  # nothing that needs alt text


def test_build_message_renders_in_the_given_language(newsroom):
    subscriber = SubscriberFactory(pending=True)
    context = {"confirm_url": "http://testserver/x/", "valid_days": 7}
    nb = emails.build_message("confirmation", to="a@example.no", context=context, language="nb")
    en = emails.build_message("confirmation", to="a@example.no", context=context, language="en")
    assert '<html lang="nb">' in nb.alternatives[0][0]
    assert '<html lang="en">' in en.alternatives[0][0]
    assert nb.to == ["a@example.no"] and subscriber.pk


def test_subject_and_headers_are_one_line_whatever_the_newsroom_name(newsroom, mailoutbox):
    newsroom.name = "IMDi\r\nBcc: victim@example.com"
    newsroom.save()
    subscriber = SubscriberFactory(pending=True)
    message = emails.build_message(
        "confirmation",
        to=subscriber.email,
        context={"confirm_url": "http://testserver/x/", "valid_days": 7},
        language="en",
        headers={"X-Test": "a\r\nb\u2028c"},
    )
    assert message.subject == "Confirm your subscription to press releases from IMDi Bcc: victim@example.com"
    assert message.extra_headers == {"X-Test": "a b c", "Auto-Submitted": "auto-generated"}
    message.send()
    parsed = mailoutbox[0].message()
    assert "Bcc" not in parsed
    assert all("\n" not in value and "\r" not in value for value in parsed.values())


def test_unsubscribe_headers_have_no_address(newsroom):
    subscriber = SubscriberFactory(email="hemmelig@example.no")
    headers = emails.unsubscribe_headers(subscriber)
    assert headers["List-Unsubscribe"] == f"<http://testserver/subscribe/u/{subscriber.token}/>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "hemmelig" not in str(headers)


def test_links_are_absolute_and_signed_per_purpose(newsroom):
    subscriber = SubscriberFactory()
    manage = emails.manage_url(subscriber)
    confirm = emails.confirm_url(subscriber)
    assert manage.startswith("http://testserver/subscribe/manage/")
    assert confirm.startswith("http://testserver/subscribe/confirm/")
    manage_token = manage.rstrip("/").rsplit("/", 1)[1]
    assert tokens.read_token(manage_token, tokens.MANAGE) == subscriber
    with pytest.raises(tokens.InvalidToken):
        tokens.read_token(manage_token, tokens.CONFIRM)
