"""Publishing a release, end to end: a real Celery worker process on the real broker fans the mailing out
through anymail's real Mailgun backend to a mock provider on loopback, and over SMTP to a sink."""

import time

import pytest
from django.test import Client

from pressroom.newsroom.services import publish_release
from subscriptions.models import Delivery, Mailing, Subscriber
from tests.factories import ReleaseFactory, TopicFactory
from tests.integration import celery_worker, smtp_sink
from tests.mockprovider import MockProvider

from .factories import SubscriberFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def audience(count):
    topic, other = TopicFactory(name="Arbeid"), TopicFactory(name="Bosetting")
    wanted = [SubscriberFactory(language="nb") for _ in range(count)]
    unwanted = [
        SubscriberFactory(language="nb", status=Subscriber.Status.PENDING),
        SubscriberFactory(language="nb", status=Subscriber.Status.UNSUBSCRIBED),
        SubscriberFactory(language="nb", status=Subscriber.Status.BOUNCED),
        SubscriberFactory(language="en"),
        SubscriberFactory(language="nb", frequency=Subscriber.Frequency.WEEKLY),
    ]
    other_topic = SubscriberFactory(language="nb", all_topics=False)
    other_topic.topics.set([other])
    unwanted.append(other_topic)
    return ReleaseFactory(language="nb", topics=[topic]), wanted, unwanted


def wait_until_done(release, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mailing = Mailing.objects.filter(release=release).first()
        if mailing and mailing.status == Mailing.Status.DONE:
            return mailing
        time.sleep(0.2)
    raise AssertionError(f"the mailing did not finish: {Mailing.objects.filter(release=release).first()}")


def test_publishing_sends_one_email_to_each_matching_subscriber_through_the_batch_provider(queued_tasks):
    release, wanted, unwanted = audience(120)
    with (
        MockProvider() as provider,
        celery_worker(
            {
                "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
                "ANYMAIL_MAILGUN_API_URL": provider.api_url,
                "ANYMAIL_MAILGUN_API_KEY": "key-test",
                "ANYMAIL_MAILGUN_SENDER_DOMAIN": "mg.example.org",
                "MAILING_BATCH_SIZE": "50",
            }
        ) as worker,
    ):
        publish_release(release=release)
        try:
            mailing = wait_until_done(release)
        except AssertionError:
            pytest.fail(f"worker log:\n{worker.log}")

    accepted = provider.recipients()
    assert sorted(accepted) == sorted(s.email for s in wanted)  # each once, nobody else
    assert provider.requests == 3  # 120 recipients in batches of 50
    assert mailing.recipients == 120
    assert set(Delivery.objects.filter(mailing=mailing).values_list("status", flat=True)) == {"sent"}
    tokens = {s.email: s.token for s in wanted}
    for entry in provider.accepted:
        token = tokens[entry["to"]]
        assert entry["headers"]["List-Unsubscribe"] == f"<http://testserver/subscribe/u/{token}/>"
        assert entry["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"/subscribe/u/{token}/" in entry["html"]

    # The one-click POST of a received header unsubscribes: no cookies, no CSRF token.
    first = provider.accepted[0]
    url = first["headers"]["List-Unsubscribe"].strip("<>").removeprefix("http://testserver")
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Subscriber.objects.get(email=first["to"]).status == Subscriber.Status.UNSUBSCRIBED


def test_publishing_sends_personalized_messages_over_smtp(queued_tasks):
    release, wanted, _unwanted = audience(8)
    with (
        smtp_sink() as sink,
        celery_worker(
            {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(sink.port),
            }
        ),
    ):
        publish_release(release=release)
        wait_until_done(release)
        messages = sink.wait_for(8)

    assert sorted(m["To"] for m in messages) == sorted(s.email for s in wanted)
    for message in messages:
        person = next(s for s in wanted if s.email == message["To"])
        assert message["List-Unsubscribe"].strip() == f"<http://testserver/subscribe/u/{person.token}/>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"/subscribe/u/{person.token}/" in message.get_body(("plain",)).get_content()
        assert f"/subscribe/u/{person.token}/" in message.get_body(("html",)).get_content()
        assert message["Subject"] == release.title


def test_a_scheduled_release_is_published_and_sent_by_the_worker(queued_tasks):
    from datetime import timedelta

    from django.utils import timezone

    release, wanted, _ = audience(3)
    publish_release(release=release, at=timezone.now() + timedelta(seconds=2))
    assert not Mailing.objects.exists()
    with (
        MockProvider() as provider,
        celery_worker(
            {
                "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
                "ANYMAIL_MAILGUN_API_URL": provider.api_url,
                "ANYMAIL_MAILGUN_API_KEY": "key-test",
                "ANYMAIL_MAILGUN_SENDER_DOMAIN": "mg.example.org",
            }
        ),
    ):
        time.sleep(2.5)
        from pressroom.newsroom.tasks import publish_due_releases

        publish_due_releases.delay()  # what beat does every PRESSROOM_PUBLISH_INTERVAL seconds
        wait_until_done(release)
    assert sorted(provider.recipients()) == sorted(s.email for s in wanted)
