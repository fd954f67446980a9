"""The subscribers an action on a release reaches, for the admin's confirmation pages
(pressroom/newsroom/review.py). Counted with the queries that choose the recipients when it is sent:
`mailings.audience` for the release's own mailing, the same match for the digests."""

from django.db.models import Count

from pressroom.newsroom import review

from . import mailings
from .models import Delivery, Mailing, Subscriber
from .release_email import ReleaseMessage


def describe(release, action):
    if action == review.UNPUBLISH:
        return _withdrawal(release)
    immediate = mailings.audience(release)
    by_topic = [(topic, immediate.filter(topics=topic).count()) for topic in release.topics.all()]
    matching = Subscriber.objects.for_release(release)
    message = ReleaseMessage(release, test=True)
    text, _html = message.sample()
    return review.Part(
        "admin/subscriptions/review_release.html",
        {
            "immediate": immediate.count(),
            "all_topics": immediate.filter(all_topics=True).count(),
            "by_topic": by_topic,
            "language": release.get_language_display(),
            "daily": matching.filter(frequency=Subscriber.Frequency.DAILY).count(),
            "weekly": matching.filter(frequency=Subscriber.Frequency.WEEKLY).count(),
            "subject": message.subject,
            "text": text,
        },
    )


def _withdrawal(release):
    """A release mailing under way pauses when the release is withdrawn (release_email.KIND)."""
    mailing = release.mailings.filter(kind=Mailing.Kind.RELEASE).first()
    if mailing is None:
        return None
    counts = dict(
        Delivery.objects.filter(mailing=mailing).values_list("status").annotate(n=Count("pk")).order_by()
    )
    return review.Part(
        "admin/subscriptions/review_withdrawal.html",
        {
            "sent": counts.get(Delivery.Status.SENT, 0),
            "waiting": counts.get(Delivery.Status.QUEUED, 0) + counts.get(Delivery.Status.SENDING, 0),
        },
    )
