"""Row counts that do not read every row: on PostgreSQL a changelist of a whole large table (a million
subscribers, the delivery ledger) shows the planner's estimate instead of counting each row on every page
view. Filtered and searched lists, small tables and SQLite are counted exactly."""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this many rows an exact count is cheap, and an editor may notice an estimate on a small list.
ESTIMATE_ABOVE = 100_000


def estimated_rows(queryset):
    """The planner's estimate of the rows of QUERYSET's table, or None where there is none to trust."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    query = queryset.query
    if query.where or query.combinator or query.distinct or query.low_mark or query.high_mark is not None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return row[0] if row and row[0] >= ESTIMATE_ABOVE else None


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self):
        estimate = estimated_rows(self.object_list) if hasattr(self.object_list, "query") else None
        return estimate if estimate is not None else super().count
