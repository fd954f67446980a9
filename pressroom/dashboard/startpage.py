"""What the start page shows: the releases that need work, the last mailings with their progress, the
audience and its trend, and the recipients whose delivery needs a decision.

Every panel is shown only to a user who may view what it lists, and each is a few indexed queries, so the
page stays fast with a million subscribers (bench/admin.py measures it).
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from pressroom.newsroom.models import Release
from subscriptions.models import Delivery, Mailing, Subscriber

LISTED = 5  # rows per panel; each panel links to its full list
TREND_DAYS = 30


def summary(request, site):
    def may_view(model):
        model_admin = site.get_model_admin(model) if site.is_registered(model) else None
        return model_admin is not None and model_admin.has_view_permission(request)

    start = {}
    if may_view(Release):
        start["drafts"] = drafts()
        start["awaiting_approval"] = awaiting_approval()
        start["scheduled"] = scheduled()
    if may_view(Mailing):
        start["mailings"] = last_mailings()
        start["attention"] = needs_decision()
    if may_view(Subscriber):
        start["audience"] = audience()
    return start


def drafts():
    rows = Release.objects.filter(status=Release.Status.DRAFT).order_by("-updated_at")
    return listed(rows, "updated_at")


def awaiting_approval():
    """Drafts edited since anyone approved them, under the four-eyes rule (REVIEW_FOUR_EYES); None
    without it, and the panel is not shown."""
    if not settings.REVIEW_FOUR_EYES:
        return None
    rows = Release.objects.filter(
        status=Release.Status.DRAFT, approved_at__isnull=True, last_edited_by__isnull=False
    ).order_by("-updated_at")
    return listed(rows, "updated_at")


def scheduled():
    rows = Release.objects.filter(status=Release.Status.SCHEDULED, published_at__gt=timezone.now()).order_by(
        "published_at"
    )
    return listed(rows, "published_at")


def listed(rows, time_field):
    """A panel's count and its first rows, each with the time the panel shows (edited, or due)."""
    return {
        "count": rows.count(),
        "rows": [
            {"pk": pk, "title": title, "when": when}
            for pk, title, when in rows.values_list("pk", "title", time_field)[:LISTED]
        ],
    }


def last_mailings():
    """The newest mailings. Their counts come from the progress endpoint, which the page polls from the
    start: counting a mailing to a million recipients takes longer than the rest of the page together."""
    return list(Mailing.objects.select_related("release").order_by("-created_at", "-pk")[:LISTED])


def needs_decision():
    """Mailings of the last 30 days with failed or uncertain recipients: retry, resend or leave them.

    Limited to recent mailings, so that the count runs on the (mailing, status) index, not over the
    whole ledger.
    """
    recent = Mailing.objects.filter(created_at__gte=timezone.now() - timedelta(days=TREND_DAYS))
    counts = (
        Delivery.objects.filter(
            mailing__in=recent.values("pk"), status__in=[Delivery.Status.FAILED, Delivery.Status.UNCERTAIN]
        )
        .values("mailing")
        .annotate(
            failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
            uncertain=Count("pk", filter=Q(status=Delivery.Status.UNCERTAIN)),
        )
        .order_by("-mailing")
    )
    counts = {row["mailing"]: row for row in counts[:LISTED]}
    found = Mailing.objects.select_related("release").in_bulk(counts)
    return [
        {"mailing": found[pk], "failed": row["failed"], "uncertain": row["uncertain"]}
        for pk, row in counts.items()
        if pk in found
    ]


def audience():
    """Active subscribers (at most a minute old), and how many joined and left in the last 30 days."""
    since = timezone.now() - timedelta(days=TREND_DAYS)
    active = Subscriber.objects.status_counts().get(Subscriber.Status.ACTIVE, 0)
    joined = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE, confirmed_at__gte=since).count()
    left = Subscriber.objects.filter(
        status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at__gte=since
    ).count()
    return {"active": active, "joined": joined, "left": left, "net": joined - left, "days": TREND_DAYS}
