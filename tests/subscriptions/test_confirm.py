import time

import pytest
from django.core import signing

from subscriptions import tokens
from subscriptions.models import Subscriber

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


class SignerInThePast(signing.TimestampSigner):
    """Signs as if it were SECONDS_AGO seconds ago: a link made back then."""

    seconds_ago = 8 * 24 * 3600

    def timestamp(self):
        return signing.b62_encode(int(time.time()) - self.seconds_ago)


def confirm_url(token):
    return f"/subscribe/confirm/{token}/"


@pytest.fixture
def pending(newsroom):
    return SubscriberFactory(pending=True)


def test_get_shows_a_button_and_changes_nothing(client, pending):
    before = Subscriber.objects.values().get(pk=pending.pk)
    response = client.get(confirm_url(tokens.make_token(pending, tokens.CONFIRM)))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<form method="post">' in body
    assert '<button type="submit">Confirm subscription</button>' in body
    assert "All topics" in body and "Immediately" in body
    assert '<meta name="robots" content="noindex">' in body
    assert "no-cache" in response["Cache-Control"]
    assert Subscriber.objects.values().get(pk=pending.pk) == before


def test_post_confirms(client, pending):
    response = client.post(confirm_url(tokens.make_token(pending, tokens.CONFIRM)))
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.ACTIVE
    assert pending.confirmed_at is not None
    assert "/subscribe/manage/" in response.content.decode()


def test_confirming_twice_keeps_the_first_time(client, pending):
    url = confirm_url(tokens.make_token(pending, tokens.CONFIRM))
    client.post(url)
    pending.refresh_from_db()
    first = pending.confirmed_at
    assert client.post(url).status_code == 200
    pending.refresh_from_db()
    assert pending.confirmed_at == first
    assert "You have already confirmed" in client.get(url).content.decode()


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(client, pending, settings):
    settings.SUBSCRIPTIONS_CONFIRM_MAX_AGE = 7 * 24 * 3600
    token = SignerInThePast(salt="subscriptions.link.confirm").sign_object(
        [pending.pk, tokens.fingerprint(pending)]
    )
    for response in (client.get(confirm_url(token)), client.post(confirm_url(token))):
        assert response.status_code == 400
        body = response.content.decode()
        assert "This link has expired" in body
        assert 'href="/subscribe/"' in body
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_a_link_just_inside_its_lifetime_still_works(client, pending, settings):
    settings.SUBSCRIPTIONS_CONFIRM_MAX_AGE = 7 * 24 * 3600
    signer = SignerInThePast(salt="subscriptions.link.confirm")
    signer.seconds_ago = 7 * 24 * 3600 - 60
    token = signer.sign_object([pending.pk, tokens.fingerprint(pending)])
    assert client.post(confirm_url(token)).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.ACTIVE


def tampered_tokens(subscriber):
    token = tokens.make_token(subscriber, tokens.CONFIRM)
    other = SubscriberFactory(pending=True)
    payload, timestamp, signature = token.split(":")
    forged_payload = signing.b64_encode(f'[{other.pk},"{tokens.fingerprint(subscriber)}"]'.encode()).decode()
    return [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        f"{forged_payload}:{timestamp}:{signature}",  # someone else's id
        f"{payload}:{timestamp}",  # signature missing
        tokens.make_token(subscriber, tokens.MANAGE),  # a link made for another purpose
        "not-a-token",
        "x" * 5000,
        "%00",
    ]


def test_tampered_links_get_a_clear_page(client, pending):
    for token in tampered_tokens(pending):
        response = client.post(confirm_url(token))
        assert response.status_code == 400, token
        assert "This link does not work" in response.content.decode()
    assert not Subscriber.objects.filter(status=Subscriber.Status.ACTIVE).exists()


def test_rotating_the_subscriber_token_voids_every_link(client, pending):
    url = confirm_url(tokens.make_token(pending, tokens.CONFIRM))
    pending.rotate_token()
    pending.save()
    response = client.post(url)
    assert response.status_code == 400
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_a_link_for_a_deleted_subscriber_does_not_work(client, pending):
    url = confirm_url(tokens.make_token(pending, tokens.CONFIRM))
    pending.delete()
    assert client.get(url).status_code == 400


def test_an_old_link_does_not_bring_back_someone_who_left(client, newsroom):
    subscriber = SubscriberFactory(unsubscribed=True)
    url = confirm_url(tokens.make_token(subscriber, tokens.CONFIRM))
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 400
        assert "This link is no longer valid" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_confirm_page_follows_the_subscriber_language(client, newsroom):
    subscriber = SubscriberFactory(pending=True, language="nb")
    body = client.get(confirm_url(tokens.make_token(subscriber, tokens.CONFIRM))).content.decode()
    assert '<html lang="nb">' in body
