from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from subscriptions.models import Subscriber, Suppression, email_hash
from tests.factories import TopicFactory

from .conftest import link_in, signup_data, without_form_secrets
from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def post_signup(client, newsroom, django_capture_on_commit_callbacks):
    """POST the sign-up form and run what it queued on commit (the confirmation task, eagerly)."""

    def post(email, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/subscribe/", signup_data(email, **fields))

    return post


def test_sign_up_to_confirmed_subscriber(client, post_signup, settings):
    settings.SUBSCRIPTIONS_CONSENT_VERSION = "2025-03"
    response = post_signup("kari@example.no", source="/pressemeldinger/ny-rapport/")

    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "kari@example.no"
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.consent_method == Subscriber.ConsentMethod.FORM
    assert subscriber.consent_text_version == "2025-03"
    assert subscriber.consent_source == "/pressemeldinger/ny-rapport/"
    assert subscriber.consent_at is not None
    assert subscriber.confirmation_sent_at is not None

    [message] = mail.outbox
    assert message.to == ["kari@example.no"]
    assert message.subject == (
        "Confirm your subscription to press releases from Integrerings- og mangfoldsdirektoratet"
    )
    assert message.from_email == "Pressroom <pressroom@localhost>"
    # Not subscribed yet, so no list headers.
    assert "List-Unsubscribe" not in message.extra_headers
    assert "List-Unsubscribe" not in message.message()
    confirm_path = link_in(message.body, "confirm")
    assert f"http://testserver{confirm_path}" in message.body
    assert "The link is valid for 7 days." in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'href="http://testserver{confirm_path}"' in html
    assert "Confirm subscription</a>" in html
    # CSS inlined; only the dark-mode rules stay a style element (media queries cannot be inlined).
    assert html.count("<style") == 1 and "prefers-color-scheme: dark" in html and 'style="' in html

    page = client.get(confirm_path)
    assert page.status_code == 200
    assert '<button type="submit">Confirm subscription</button>' in page.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.confirmed_at is None

    confirmed = client.post(confirm_path)
    assert confirmed.status_code == 200
    assert "You are subscribed" in confirmed.content.decode()
    assert "/subscribe/manage/" in confirmed.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.confirmed_at is not None


def test_the_email_holds_nothing_the_visitor_typed_but_the_address(post_signup):
    post_signup("ola@example.no", source="/<b>INJECTED-SOURCE</b>", website="")
    [message] = mail.outbox
    raw = message.message().as_string()
    assert "INJECTED" not in raw
    assert raw.count("ola@example.no") == 1  # the To header, and nowhere else


def test_the_email_is_in_the_chosen_language(post_signup):
    post_signup("en@example.no", language="en")
    [message] = mail.outbox
    assert '<html lang="en">' in message.alternatives[0][0]
    assert Subscriber.objects.get().language == "en"


def test_chosen_topics_and_frequency_are_stored(post_signup):
    topic = TopicFactory(name="Bosetting", language="nb")
    TopicFactory(name="Annet", language="nb")
    post_signup("tema@example.no", topics=[str(topic.pk)], language="nb", frequency="weekly")
    subscriber = Subscriber.objects.get()
    assert subscriber.all_topics is False
    assert list(subscriber.topics.all()) == [topic]
    assert subscriber.frequency == Subscriber.Frequency.WEEKLY


def test_no_topics_means_all_topics(post_signup):
    TopicFactory(language="nb")
    post_signup("alle@example.no")
    subscriber = Subscriber.objects.get()
    assert subscriber.all_topics is True
    assert subscriber.topics.count() == 0
    assert subscriber.language == "en"  # the page's language, when the form does not say
    assert subscriber.frequency == Subscriber.Frequency.IMMEDIATELY


def test_without_a_language_the_page_language_is_used(newsroom, django_capture_on_commit_callbacks):
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        Client(HTTP_ACCEPT_LANGUAGE="nb").post("/subscribe/", signup_data("norsk@example.no"))
    assert Subscriber.objects.get().language == "nb"
    assert '<html lang="nb">' in mail.outbox[0].alternatives[0][0]


def test_topics_of_another_language_are_a_form_error(post_signup):
    english = TopicFactory(name="Settlement", language="en")
    response = post_signup("feil@example.no", topics=[str(english.pk)], language="nb")
    assert response.status_code == 200
    assert "Choose topics in the languages of the releases you get" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("  Kari.Nordmann@Example.NO ", "Kari.Nordmann@example.no"),
        ("kari@BØ.no", "kari@xn--b-5ga.no"),
        ("kari@xn--b-5ga.no", "kari@xn--b-5ga.no"),
    ],
)
def test_addresses_are_stored_normalized(post_signup, typed, stored):
    post_signup(typed)
    assert Subscriber.objects.get().email == stored
    assert mail.outbox[0].to == [stored]


@pytest.mark.parametrize(
    "typed", ["kari", "kari@", "kari@localhost", "a b@example.no", "kari@exa mple.no", ""]
)
def test_an_invalid_address_is_a_form_error_and_nothing_is_stored(post_signup, typed):
    response = post_signup(typed)
    assert response.status_code == 200
    [error] = response.context["form"].errors.as_data()["email"]
    assert error.code == ("required" if typed == "" else "invalid")
    assert "Check your inbox" not in response.content.decode()
    assert not Subscriber.objects.exists()
    assert mail.outbox == []


def test_unicode_domain_and_its_ascii_form_are_the_same_subscriber(post_signup, settings):
    settings.SUBSCRIPTIONS_RESEND_INTERVAL = 0
    post_signup("kari@bø.no")
    post_signup("KARI@XN--B-5GA.NO")
    assert Subscriber.objects.count() == 1
    assert len(mail.outbox) == 2


def test_same_address_in_another_case_is_the_same_subscriber(post_signup):
    SubscriberFactory(email="Kari@example.no")
    post_signup("kari@EXAMPLE.no")
    assert Subscriber.objects.count() == 1
    assert mail.outbox == []


def test_pending_address_gets_one_resend_per_interval(post_signup, settings):
    settings.SUBSCRIPTIONS_RESEND_INTERVAL = 600
    post_signup("vent@example.no")
    post_signup("vent@example.no")
    assert len(mail.outbox) == 1

    Subscriber.objects.update(confirmation_sent_at=timezone.now() - timedelta(seconds=601))
    post_signup("vent@example.no")
    assert len(mail.outbox) == 2
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_active_address_gets_no_email_and_keeps_its_choices(post_signup):
    topic = TopicFactory(language="nb")
    subscriber = SubscriberFactory(email="aktiv@example.no", topics=[topic], frequency="daily", language="nb")
    consent_at = subscriber.consent_at
    post_signup("aktiv@example.no", frequency="weekly", language="en")
    subscriber.refresh_from_db()
    assert mail.outbox == []
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert (subscriber.frequency, subscriber.language, subscriber.consent_at) == ("daily", "nb", consent_at)
    assert list(subscriber.topics.all()) == [topic]


def test_unsubscribed_address_starts_a_new_confirmation(post_signup):
    subscriber = SubscriberFactory(email="tilbake@example.no", unsubscribed=True)
    old_consent = subscriber.consent_at
    post_signup("tilbake@example.no", frequency="daily")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.frequency == "daily"
    assert subscriber.consent_at > old_consent
    [message] = mail.outbox
    assert message.to == ["tilbake@example.no"]


def test_suppressed_address_gets_the_same_page_and_nothing_is_stored_or_sent(post_signup):
    # Erased after a complaint: an erasure alone lets its owner sign up again (test_suppression.py).
    Suppression.objects.create(email_hash=email_hash("slettet@example.no"), reason="complained")
    response = post_signup("Slettet@Example.no")
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("state", ["active", "pending", "unsubscribed", "suppressed"])
def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(client, post_signup, state):
    if state == "suppressed":
        Suppression.objects.create(email_hash=email_hash("kjent@example.no"), reason="erased")
    else:
        SubscriberFactory(email="kjent@example.no", **({state: True} if state != "active" else {}))
    known = post_signup("kjent@example.no")
    unknown = post_signup("ukjent@example.no")
    assert known.status_code == unknown.status_code == 200
    assert without_form_secrets(known.content.decode()) == without_form_secrets(unknown.content.decode())


def test_a_filled_in_honeypot_gets_the_same_page_and_nothing_happens(post_signup):
    response = post_signup("bot@example.no", website="http://spam.example")
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert mail.outbox == []


def test_a_form_sent_back_too_fast_is_treated_as_a_bot(client, newsroom, settings):
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 3
    form = client.get("/subscribe/").content.decode()
    stamp = form.split('name="stamp" value="')[1].split('"')[0]
    response = client.post("/subscribe/", {"email": "rask@example.no", "stamp": stamp})
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize("stamp", ["", "1700000000", "1700000000:forged", "x" * 300])
def test_a_missing_or_forged_form_time_is_treated_as_a_bot(client, newsroom, stamp):
    response = client.post("/subscribe/", {"email": "falsk@example.no", "stamp": stamp})
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(
    "source, referer, stored",
    [
        ("/releases/a/", "", "/releases/a/"),
        ("", "http://testserver/releases/b/?q=kari%40example.no", "/releases/b/"),
        ("", "https://evil.example/page/", ""),
        ("//evil.example/x", "", ""),
        ("/a b\r\nSet-Cookie:x/" + "y" * 400, "", "/abSet-Cookie:x/" + "y" * 184),
        ("http://[::1/", "", ""),
    ],
)
def test_the_source_page_is_sanitized(post_signup, client, source, referer, stored):
    with_referer = {"HTTP_REFERER": referer} if referer else {}
    client.post("/subscribe/", signup_data("kilde@example.no", source=source), **with_referer)
    assert Subscriber.objects.get().consent_source == stored


def test_the_sign_up_page_lists_topics_language_and_frequency(client, newsroom):
    TopicFactory(name="Bosetting", language="nb")
    TopicFactory(name="Settlement", language="en")
    body = client.get("/subscribe/").content.decode()
    assert 'name="topics"' in body and "Bosetting" in body and "Settlement" in body
    assert 'name="language" value="en"' in body
    assert 'name="frequency" value="weekly"' in body
    assert '<label for="id_email">Email address</label>' in body or "id_email" in body
    # The box is not repeated under the page's own form.
    assert 'id="signup-title"' not in body


def test_every_public_page_has_the_sign_up_box(client, newsroom):
    body = client.get("/en/").content.decode()
    assert "Follow press releases from Integrerings- og mangfoldsdirektoratet" in body
    assert "You can unsubscribe at any time." in body
    assert '<form class="signup__form" method="post" action="/subscribe/">' in body
    assert '<label for="signup-email">' in body
    # No per-visitor token, so that the page can be cached and shared (pressroom/newsroom/pagecache.py).
    assert "csrfmiddlewaretoken" not in body
    assert 'name="stamp" value="' in body
    # The honeypot is hidden from people (and screen readers) and labelled for anyone who meets it.
    trap = body.split('class="signup__trap"')[1].split("</div>")[0]
    assert 'aria-hidden="true"' in trap and "left:-10000px" in trap
    assert "Leave this field empty" in trap and 'tabindex="-1"' in trap


def test_the_box_posts_a_working_sign_up(client, newsroom, django_capture_on_commit_callbacks):
    """The box sends only an address (plus hidden fields): language and frequency take defaults."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/subscribe/", signup_data("boks@example.no", language="nb", source="/"), HTTP_REFERER="/"
        )
    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert (subscriber.language, subscriber.frequency, subscriber.all_topics) == ("nb", "immediately", True)
    assert len(mail.outbox) == 1


def test_sign_up_needs_no_csrf_token_and_a_forged_one_only_asks_for_a_confirmation(
    newsroom, django_capture_on_commit_callbacks
):
    """The form is on every cached page, so it carries no CSRF token; a cross-site post achieves what a
    direct one would: a confirmation email, and no subscription until its owner confirms."""
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        response = Client(enforce_csrf_checks=True).post(
            "/subscribe/", signup_data("csrf@example.no"), HTTP_ORIGIN="https://evil.example"
        )
    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING
    assert [m.to for m in mail.outbox] == [["csrf@example.no"]]


def test_the_confirmation_is_queued_only_after_commit(client, newsroom, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/subscribe/", signup_data("senere@example.no"))
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert mail.outbox[0].to == ["senere@example.no"]
