import time

import pytest
from django.core import mail, signing

from subscriptions import tokens
from subscriptions.models import Subscriber
from tests.factories import TopicFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def manage_url(subscriber):
    return f"/subscribe/manage/{tokens.make_token(subscriber, tokens.MANAGE)}/"


@pytest.fixture
def subscriber(newsroom):
    return SubscriberFactory(email="leser@example.no", language="en")


def test_get_shows_the_choices_and_changes_nothing(client, subscriber):
    topic = TopicFactory(name="Settlement", language="en")
    subscriber.topics.add(topic)
    Subscriber.objects.filter(pk=subscriber.pk).update(all_topics=False)
    before = Subscriber.objects.values().get(pk=subscriber.pk)
    response = client.get(manage_url(subscriber))
    assert response.status_code == 200
    body = response.content.decode()
    assert "leser@example.no" in body
    assert f'value="{topic.pk}"' in body and "checked" in body.split(f'value="{topic.pk}"')[1].split(">")[0]
    assert '<button type="submit" name="action" value="unsubscribe">Unsubscribe</button>' in body
    assert Subscriber.objects.values().get(pk=subscriber.pk) == before


def test_post_changes_topics_language_and_frequency(client, subscriber):
    topic = TopicFactory(name="Bosetting", language="nb")
    response = client.post(
        manage_url(subscriber), {"language": "nb", "frequency": "weekly", "topics": [str(topic.pk)]}
    )
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert (subscriber.language, subscriber.frequency, subscriber.all_topics) == ("nb", "weekly", False)
    assert list(subscriber.topics.all()) == [topic]
    page = client.get(response["Location"])
    assert '<html lang="nb">' in page.content.decode()  # the page now follows the new language
    assert mail.outbox == []


def test_choosing_no_topics_means_all_topics(client, subscriber):
    subscriber.topics.add(TopicFactory(language="en"))
    client.post(manage_url(subscriber), {"language": "en", "frequency": "daily"})
    subscriber.refresh_from_db()
    assert subscriber.all_topics is True
    assert subscriber.topics.count() == 0
    assert subscriber.frequency == "daily"


def test_invalid_choices_are_a_form_error_and_change_nothing(client, subscriber):
    response = client.post(
        manage_url(subscriber), {"language": "xx", "frequency": "hourly", "topics": ["abc"]}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert {field: errors[field][0].code for field in errors} == {
        "language": "invalid_choice",
        "frequency": "invalid_choice",
        "topics": "invalid_choice",
    }
    subscriber.refresh_from_db()
    assert (subscriber.language, subscriber.frequency) == ("en", "immediately")


def test_unsubscribe_and_resubscribe_from_the_preferences_page(client, subscriber):
    url = manage_url(subscriber)
    response = client.post(url, {"action": "unsubscribe"})
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_method == Subscriber.UnsubscribeMethod.PREFERENCES
    page = client.get(url).content.decode()
    assert "You are unsubscribed." in page
    assert 'value="resubscribe"' in page

    client.post(url, {"action": "resubscribe"})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert "Welcome back" in client.get(url).content.decode()


def test_the_preferences_link_does_not_expire(client, subscriber, settings):
    settings.SUBSCRIPTIONS_CONFIRM_MAX_AGE = 60

    class YearsAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 5 * 365 * 86400)

    token = YearsAgo(salt="subscriptions.link.manage").sign_object(
        [subscriber.pk, tokens.fingerprint(subscriber)]
    )
    assert client.get(f"/subscribe/manage/{token}/").status_code == 200


def test_a_confirm_link_does_not_open_the_preferences(client, subscriber):
    token = tokens.make_token(subscriber, tokens.CONFIRM)
    response = client.post(f"/subscribe/manage/{token}/", {"action": "unsubscribe"})
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_rotating_the_token_voids_the_preferences_link(client, subscriber):
    url = manage_url(subscriber)
    subscriber.rotate_token()
    subscriber.save()
    response = client.post(url, {"action": "unsubscribe"})
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_preferences_need_csrf(subscriber):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(manage_url(subscriber), {"action": "unsubscribe"})
    assert response.status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
