"""Changelist counts of large tables: the planner's estimate for a whole table on PostgreSQL, an exact
count for a filtered list, a small table and on SQLite."""

import pytest
from django.db import connection

from pressroom.ops import estimates
from subscriptions.models import Subscriber
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def paginator(queryset):
    return estimates.EstimatedCountPaginator(queryset.order_by("pk"), 100)


def test_a_small_table_is_counted_exactly():
    SubscriberFactory.create_batch(3)
    assert paginator(Subscriber.objects.all()).count == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate is PostgreSQL's")
def test_a_whole_large_table_is_estimated_and_a_filtered_one_counted():
    SubscriberFactory.create_batch(5, status=Subscriber.Status.ACTIVE)
    SubscriberFactory.create_batch(2, status=Subscriber.Status.PENDING)
    # The planner's statistics as ANALYZE would leave them for a million rows (the test's transaction
    # rolls this back).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE pg_class SET reltuples = 1000000 WHERE relname = '{Subscriber._meta.db_table}'"
        )
    assert paginator(Subscriber.objects.all()).count == 1_000_000
    assert paginator(Subscriber.objects.filter(status=Subscriber.Status.ACTIVE)).count == 5
