"""Page views counted while Redis cannot be reached wait in the process and are recorded once it answers."""

import time

import pytest
from django.test import override_settings
from django.utils import timezone

from pressroom.analytics import counts as analytics
from pressroom.analytics.models import ReleaseStat
from tests.factories import NewsroomFactory, ReleaseFactory

pytestmark = pytest.mark.django_db


def test_views_during_a_redis_outage_are_recorded_when_it_answers_again(client):
    NewsroomFactory()
    release = ReleaseFactory(published=True)
    analytics._client.cache_clear()
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        for _ in range(3):
            assert client.get(release.get_absolute_url()).status_code == 200
    analytics._client.cache_clear()

    # The process retries on its own about a second later; wait for that push, within bounds.
    pending = analytics.key("pending")
    for _ in range(50):
        if analytics.client().hgetall(pending):
            break
        time.sleep(0.1)

    assert analytics.flush() == 1
    stat = ReleaseStat.objects.get(release=release, day=timezone.localdate())
    assert (stat.metric, stat.count) == ("view", 3)
