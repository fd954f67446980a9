"""Embargoed pre-sends: a scheduled release sent to a press list before its publish time.

Each journalist's copy carries personal links: `/embargo/<token>/` shows the release and its files before
the embargo, and only through the token. Every public surface still goes through
`Release.objects.published()` and shows nothing until the publish time; at that time the scheduler
publishes the release and the public mailing runs as for any release, and the personal links lead to the
public page.

The recipients (`PreSendRecipient`) and their rows in the delivery ledger (subscriptions/mailings.py, a
mailing of the "presend" kind) are written in the transaction that records the pre-send, before any
email goes out. A journalist on two lists gets one copy
per release. Opening a personal link is recorded on the journalist's row (first open, count), so editors
see in the admin who opened the release or its files before the embargo. That is the one thing a GET on
these links writes, and the emails and the page say so.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from pressroom.newsroom import review
from pressroom.newsroom.models import Newsroom, Release
from subscriptions import kinds

from .models import PreSend, PreSendRecipient

log = logging.getLogger(__name__)

# Longer than any token we issue: anything longer is not looked up at all.
MAX_TOKEN_LENGTH = 64


def local_time_text(moment):
    """A time as emails and pages state it (the embargo, a correction): local, with the zone abbreviation."""
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def check_presendable(release, now=None):
    """Raise ValidationError unless RELEASE is scheduled for a time still to come."""
    now = now or timezone.now()
    if (
        release.status != Release.Status.SCHEDULED
        or release.published_at is None
        or release.published_at <= now
    ):
        raise ValidationError(
            _(
                "Only a release scheduled for a later time can be sent under embargo: schedule “%(title)s” "
                "first (Save and schedule…), then send it to the press."
            )
            % {"title": release.title},
            code="not_scheduled",
        )


class EmbargoMessage:
    """The embargoed release for one journalist: the release's content, the journalist's own links."""

    def __init__(self, mailing):
        self.presend = PreSend.objects.select_related("press_list").get(mailing=mailing)
        self.release = Release.objects.prefetch_related("attachments", "release_contacts__contact").get(
            pk=self.presend.release_id
        )

    def single(self, row, connection):
        """The copy of the journalist whose ledger row is ROW."""
        from subscriptions import emails

        copy = PreSendRecipient.objects.select_related("journalist").get(delivery_id=row[0])
        return emails.build_message(
            "embargo",
            to=row[1],
            context=message_context(self.release, self.presend.press_list, copy.journalist, copy.token),
            language=self.release.language,
            headers={"Message-ID": emails.new_message_id()},
        )


def message_context(release, press_list, journalist, token):
    """What the embargo email of JOURNALIST (with their TOKEN) says."""
    with translation.override(release.language):
        embargo = local_time_text(release.published_at)
    return {
        "release": release,
        "journalist": journalist,
        "press_list": press_list,
        "embargo": embargo,
        "page_url": settings.SITE_URL + reverse("pressroom:embargo", kwargs={"token": token}),
        "files": [(attachment, settings.SITE_URL + file_url(token, attachment)) for attachment in
                  release.attachments.all()],
        "contacts": Newsroom.load().in_language(release.language).contacts(
            rc.contact for rc in release.release_contacts.all()
        ),
    }  # fmt: skip


def _not_withdrawn(mailing):
    """A release put back to draft withdraws its embargoed copies: none that is not sent goes out."""
    return Release.objects.filter(pk=mailing.release_id).exclude(status=Release.Status.DRAFT).exists()


KIND = kinds.Kind(builder=EmbargoMessage, current=_not_withdrawn, withdrawn=kinds.SKIP)


def describe_withdrawal(release, action):
    """For the unpublish confirmation: the journalists whose embargoed copy it withdraws."""
    if action != review.UNPUBLISH:
        return None
    count = PreSendRecipient.objects.filter(presend__release=release).count()
    return review.Part("admin/press/review_withdrawal.html", {"journalists": count}) if count else None


def file_url(token, attachment):
    return reverse(
        "pressroom:embargo_file",
        kwargs={"token": token, "pk": attachment.pk, "filename": attachment.filename},
    )


def captions_url(token, video):
    if not video.captions:
        return ""
    return reverse(
        "pressroom:embargo_captions",
        kwargs={"token": token, "pk": video.pk, "filename": video.captions_filename},
    )


def poster_url(token, video):
    """The poster's page rendition through the personal link, or "" until the worker has made it."""
    if not video.web:
        return ""
    return reverse("pressroom:embargo_image", kwargs={"token": token, "pk": video.pk, "name": "web"})


# The personal links


def recipient_for(token):
    """The journalist's copy for TOKEN, while its release is scheduled or published; 404 otherwise."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise Http404
    row = (
        PreSendRecipient.objects.select_related("presend__release", "journalist").filter(token=token).first()
    )
    # A release put back to draft withdraws the embargoed copy too.
    if row is None or row.presend.release.status == Release.Status.DRAFT:
        raise Http404
    return row


def record_open(row, *, download=False):
    """Trace an open of ROW's link: the first time, the latest and the count."""
    now = timezone.now()
    counter = "downloads" if download else "opens"
    PreSendRecipient.objects.filter(pk=row.pk).update(
        **{counter: F(counter) + 1},
        first_opened_at=Coalesce(F("first_opened_at"), Value(now)),
        last_opened_at=now,
    )
