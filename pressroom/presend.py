"""Embargoed pre-sends: a scheduled release sent to a press list before its publish time.

Each journalist's copy carries personal links: `/embargo/<token>/` shows the release and its files before
the embargo, and only through the token. Every public surface still goes through
`Release.objects.published()` and shows nothing until the publish time; at that time the scheduler
publishes the release and the public mailing runs as for any release, and the personal links lead to the
public page.

The recipients are written as a ledger (`PreSendRecipient`, an outbox row: see outbox.py) in the
transaction that records the pre-send, before any email goes out. A journalist on two lists gets one copy
per release. Opening a personal link is recorded on the journalist's row (first open, count), so editors
see in the admin who opened the release or its files before the embargo. That is the one thing a GET on
these links writes, and the emails and the page say so.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import outbox
from .models import Attachment, PreSend, PreSendRecipient, Release

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


def send_presend(*, release, press_list, user=None):
    """Send RELEASE to PRESS_LIST under embargo: write the ledger, send after the commit.

    Journalists who already have a copy of this release (from another list) are left out.
    """
    from . import tasks

    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        check_presendable(release)
        presend = PreSend.objects.create(
            release=release, press_list=press_list, sent_by=user, embargo_at=release.published_at
        )
        already = PreSendRecipient.objects.filter(presend__release=release).values("journalist_id")
        journalists = press_list.members.exclude(pk__in=already).order_by("pk")
        PreSendRecipient.objects.bulk_create(
            [PreSendRecipient(presend=presend, journalist=journalist) for journalist in journalists]
        )
        presend.recipient_count = presend.recipients.count()
        presend.save(update_fields=["recipient_count"])
        tasks.send_presend.delay_on_commit(presend.pk)
    log.info("release %s pre-sent to %s journalists", release.pk, presend.recipient_count)
    return presend


def send_batches(presend_id, time_budget=None):
    """Send the queued copies of a pre-send (the task's work)."""
    presend = PreSend.objects.select_related("release", "press_list").get(pk=presend_id)
    builder = EmbargoMessage(presend)
    rows = PreSendRecipient.objects.filter(presend=presend).select_related("journalist")
    return outbox.run(rows, builder.build, time_budget)


class EmbargoMessage:
    """The embargoed release for one journalist: the release's content, the journalist's own links."""

    def __init__(self, presend):
        self.presend = presend
        self.release = (
            Release.objects.prefetch_related("attachments", "release_contacts__contact")
            .filter(pk=presend.release_id)
            .first()
        )

    def build(self, row):
        from subscriptions import emails

        release = self.release
        if release is None or release.status == Release.Status.DRAFT:
            return None  # the editors withdrew the release: no copy goes out
        token = row.token
        with translation.override(release.language):
            embargo = local_time_text(release.published_at)
        context = {
            "release": release,
            "journalist": row.journalist,
            "press_list": self.presend.press_list,
            "embargo": embargo,
            "page_url": settings.SITE_URL + reverse("pressroom:embargo", kwargs={"token": token}),
            "files": [(attachment, settings.SITE_URL + file_url(token, attachment)) for attachment in
                      release.attachments.all()],
            "contacts": [rc.contact for rc in release.release_contacts.all()],
        }  # fmt: skip
        return emails.build_message(
            "embargo",
            to=row.journalist.email,
            context=context,
            language=release.language,
            headers={"Message-ID": emails.new_message_id()},
        )


def file_url(token, attachment):
    return reverse(
        "pressroom:embargo_file",
        kwargs={"token": token, "pk": attachment.pk, "filename": attachment.filename},
    )


def sweep(now=None):
    """Recover copies a lost worker left claimed, and restart pre-sends whose task was lost."""
    from . import tasks

    return outbox.recover(
        PreSendRecipient, parent="presend", started="presend__sent_at", task=tasks.send_presend, now=now
    )


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


def private(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The token is in the address: links on the page must not carry it to other sites.
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def embargo_page(request, token):
    from .views import DOCUMENT_LABELS, with_page_data

    row = recipient_for(token)
    release = row.presend.release
    if request.method == "GET":
        record_open(row)
    if release.is_public:
        return redirect(release.get_absolute_url())
    release = with_page_data(Release.objects.filter(pk=release.pk)).get()
    documents = release.documents
    for document in documents:
        document.type_label = DOCUMENT_LABELS.get(document.content_type, document.content_type)
    with translation.override(release.language):
        context = {
            "release": release,
            "journalist": row.journalist,
            "token": token,
            "embargo": local_time_text(release.published_at),
            "images": [(image, file_url(token, image)) for image in release.images],
            "documents": [(document, file_url(token, document)) for document in documents],
            "contacts": [rc.contact for rc in release.release_contacts.all()],
        }
        response = TemplateResponse(request, "pressroom/embargo.html", context)
        response.render()
    response["Content-Language"] = release.language
    return private(response)


@require_safe
def embargo_file(request, token, pk, filename):
    from .views import download_response

    row = recipient_for(token)
    release = row.presend.release
    attachment = get_object_or_404(Attachment, pk=pk, release=release)
    if filename != attachment.filename or not default_storage.exists(attachment.file.name):
        raise Http404
    if request.method == "GET":
        record_open(row, download=True)
    if release.is_public:
        return redirect(attachment.get_absolute_url())
    return private(download_response(attachment, cache="private, no-store"))


@require_safe
def embargo_image(request, token, pk, name):
    """The page's image renditions (not counted: the page open already is)."""
    from .views import image_response

    if name not in ("web", "thumb"):
        raise Http404
    row = recipient_for(token)
    attachment = get_object_or_404(Attachment, pk=pk, release=row.presend.release, kind=Attachment.Kind.IMAGE)
    field_file = getattr(attachment, name)
    if not field_file:
        raise Http404
    return private(image_response(field_file, cache="private, no-store"))
