"""Corrections and updates of published releases.

An editor adds a Correction (kind and a short note) to a published release; the release page shows it
with its time. With `notify`, everyone who received the original gets a short notice: subscribers whose
copy was sent (the release's mailing, or a digest that listed it) and journalists who got it under
embargo. The notices are an outbox ledger (`CorrectionNotice`, see outbox.py) written with the
correction; the unique constraint on (correction, address) makes it once per recipient, however many
ways they received the release.
"""

import logging

from django.conf import settings
from django.utils import translation

from pressroom.newsroom.models import Release

from . import outbox
from .models import Correction, CorrectionNotice, PreSendRecipient
from .presend import local_time_text

log = logging.getLogger(__name__)


def original_recipients(release):
    """{lower-cased address: (subscriber id, journalist id)} of everyone who was sent RELEASE."""
    from subscriptions.models import Delivery, Digest

    recipients = {}
    sent_to_subscribers = [
        Delivery.objects.filter(mailing__release=release, status=Delivery.Status.SENT).values_list(
            "subscriber_id", "subscriber__email"
        ),
        Digest.objects.filter(releases=release, status=Digest.Status.SENT).values_list(
            "subscriber_id", "subscriber__email"
        ),
    ]
    for rows in sent_to_subscribers:
        for subscriber_id, email in rows.iterator():
            recipients.setdefault(email.strip().lower(), (subscriber_id, None))
    journalists = PreSendRecipient.objects.filter(
        presend__release=release, status=PreSendRecipient.Status.SENT
    ).values_list("journalist_id", "journalist__email")
    for journalist_id, email in journalists:
        recipients.setdefault(email.strip().lower(), (None, journalist_id))
    return recipients


def write_notices(correction):
    """Write one notice row per original recipient of the correction's release; return how many exist."""
    rows = [
        CorrectionNotice(
            correction=correction, email=email, subscriber_id=subscriber_id, journalist_id=journalist_id
        )
        for email, (subscriber_id, journalist_id) in original_recipients(correction.release).items()
    ]
    CorrectionNotice.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return correction.notices.count()


def send_batches(correction_id, time_budget=None):
    """Send the queued notices of a correction (the task's work)."""
    correction = Correction.objects.select_related("release").get(pk=correction_id)
    rows = CorrectionNotice.objects.filter(correction=correction).select_related("subscriber", "journalist")
    return outbox.run(rows, NoticeMessage(correction).build, time_budget)


class NoticeMessage:
    def __init__(self, correction):
        self.correction = correction
        self.release = correction.release
        # Checked once per batch run: a release taken down since the correction is not announced again.
        self.public = Release.objects.published().filter(pk=self.release.pk).exists()

    def build(self, row):
        from subscriptions import emails
        from subscriptions.models import Subscriber

        subscriber = row.subscriber
        if not self.public or (subscriber is None and row.journalist_id is None):
            return None
        if subscriber is not None and subscriber.status != Subscriber.Status.ACTIVE:
            return None  # left the list since: no more email
        release = self.release
        with translation.override(release.language):
            context = {
                "correction": self.correction,
                "release": release,
                "corrected_at": local_time_text(self.correction.created_at),
                "published_at": local_time_text(release.published_at),
                "release_url": settings.SITE_URL + release.get_absolute_url(),
            }
        headers = {"Message-ID": emails.new_message_id()}
        if subscriber is not None:
            context["manage_url"] = emails.manage_url(subscriber)
            context["unsubscribe_url"] = emails.unsubscribe_url(subscriber)
            headers |= emails.unsubscribe_headers(subscriber)
        return emails.build_message(
            "correction", to=row.email, context=context, language=release.language, headers=headers
        )
