"""Corrections and updates of published releases.

An editor adds a Correction (kind and a short note) to a published release; the release page shows it
with its time. With `notify`, everyone who received the original gets a short notice: subscribers whose
copy was sent (the release's mailing, or a digest that listed it) and journalists who got it under
embargo. The notices (`CorrectionNotice`) and their rows in the delivery ledger (a mailing of the
"correction" kind) are written with the correction; the unique constraint on (correction, address)
makes it once per recipient, however many ways they received the release.
"""

import logging

from django.conf import settings
from django.db.models import Q
from django.utils import translation

from subscriptions import kinds, mailings
from subscriptions.models import Delivery, Mailing, Subscriber

from .models import Correction, CorrectionNotice, PreSendRecipient
from .presend import local_time_text

log = logging.getLogger(__name__)


def original_recipients(release, *, subscribed_now=False):
    """{lower-cased address: (subscriber id, journalist id)} of everyone who was sent RELEASE; with
    SUBSCRIBED_NOW, less the subscribers who have left since (the sender skips their notices)."""
    recipients = {}
    to_subscribers = Delivery.objects.filter(
        Q(mailing__kind=Mailing.Kind.RELEASE, mailing__release=release)
        | Q(mailing__kind=Mailing.Kind.DIGEST, mailing__releases=release),
        status=Delivery.Status.SENT,
        subscriber__isnull=False,
    )
    if subscribed_now:
        to_subscribers = to_subscribers.filter(subscriber__status=Subscriber.Status.ACTIVE)
    to_subscribers = to_subscribers.values_list("subscriber_id", "subscriber__email")
    for subscriber_id, email in to_subscribers.iterator():
        recipients.setdefault(email.strip().lower(), (subscriber_id, None))
    journalists = PreSendRecipient.objects.filter(
        presend__release=release, delivery__status=Delivery.Status.SENT
    ).values_list("journalist_id", "journalist__email")
    for journalist_id, email in journalists:
        recipients.setdefault(email.strip().lower(), (None, journalist_id))
    return recipients


def write_notices(correction):
    """Write one notice per original recipient of the correction's release, and its row in the ledger;
    return the correction's mailing (the caller starts its senders after commit)."""
    recipients = original_recipients(correction.release)
    notices = [
        CorrectionNotice(
            correction=correction, email=email, subscriber_id=subscriber_id, journalist_id=journalist_id
        )
        for email, (subscriber_id, journalist_id) in recipients.items()
    ]
    mailing, rows = mailings.write(
        Mailing.Kind.CORRECTION,
        release=correction.release,
        recipients=[(n.subscriber_id, None if n.subscriber_id else n.email) for n in notices],
    )
    for notice, row in zip(notices, rows, strict=True):
        notice.delivery = row
    CorrectionNotice.objects.bulk_create(notices, batch_size=1000)
    correction.mailing = mailing
    correction.save(update_fields=["mailing"])
    return mailing


class NoticeMessage:
    """The notice of a correction, for a subscriber (with their own links) or a journalist. Subscribers
    who left the list since are skipped when their row is claimed. The notice is in the release's
    language; a subscriber's links below it in their interface language, as under the release itself."""

    def __init__(self, mailing):
        self.correction = Correction.objects.select_related("release").get(mailing=mailing)
        self.release = self.correction.release

    def split(self, rows):
        """ROWS as one part, their subscribers' interface languages read for the batch in one query."""
        ids = [subscriber_id for *_row, subscriber_id in rows if subscriber_id]
        languages = dict(Subscriber.objects.filter(pk__in=ids).values_list("pk", "language"))
        return [(NoticesInTheirLanguages(self, languages), rows)]

    def single(self, row, connection, language=None):
        from subscriptions import emails

        _id, address, token, subscriber_id = row
        subscriber = Subscriber(pk=subscriber_id, email=address, token=token) if subscriber_id else None
        release = self.release
        context = message_context(self.correction) | {"chrome_language": language or release.language}
        headers = {"Message-ID": emails.new_message_id()}
        if subscriber is not None:
            context["manage_url"] = emails.manage_url(subscriber)
            context["unsubscribe_url"] = emails.unsubscribe_url(subscriber)
            headers |= emails.unsubscribe_headers(subscriber) | emails.list_headers(release.language)
        return emails.build_message(
            "correction", to=address, context=context, language=release.language, headers=headers
        )


class NoticesInTheirLanguages:
    """NOTICE's messages for one batch, each subscriber's links in their LANGUAGES ({subscriber id: code})."""

    def __init__(self, notice, languages):
        self.notice, self.languages = notice, languages

    def single(self, row, connection):
        return self.notice.single(row, connection, language=self.languages.get(row[3]))


def message_context(correction):
    """What the notice of CORRECTION says, before each recipient's own links."""
    release = correction.release
    with translation.override(release.language):
        return {
            "correction": correction,
            "release": release,
            "corrected_at": local_time_text(correction.created_at),
            "published_at": local_time_text(release.published_at),
            "release_url": settings.SITE_URL + release.get_absolute_url(),
        }


# A release taken down since the correction is not announced again.
KIND = kinds.Kind(builder=NoticeMessage, current=kinds.release_public, withdrawn=kinds.SKIP)
