"""Editors' press work: embargoed pre-sends to press lists and corrections of published releases. The
admin calls these; the sending is the tasks' (presend.py and corrections.py build the messages)."""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pressroom.newsroom.models import Release
from pressroom.ops import accountability
from subscriptions import mailings
from subscriptions import services as ledger
from subscriptions.models import Delivery, Mailing

from .corrections import write_notices
from .models import Correction, PreSend, PreSendRecipient
from .presend import check_presendable

log = logging.getLogger(__name__)


def presend_recipients(release, press_list):
    """The journalists of PRESS_LIST who get RELEASE under embargo: those without a copy of it yet."""
    already = PreSendRecipient.objects.filter(presend__release=release).values("journalist_id")
    return press_list.members.exclude(pk__in=already).order_by("pk")


def send_presend(*, release, press_list, user=None):
    """Send RELEASE to PRESS_LIST under embargo: write the ledger, send after the commit.

    Journalists who already have a copy of this release (from another list) are left out.
    """
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        check_presendable(release)
        presend = PreSend.objects.create(
            release=release, press_list=press_list, sent_by=user, embargo_at=release.published_at
        )
        journalists = list(presend_recipients(release, press_list))
        mailing, rows = mailings.write(
            Mailing.Kind.PRESEND, release=release, recipients=[(None, j.email) for j in journalists]
        )
        PreSendRecipient.objects.bulk_create(
            [
                PreSendRecipient(presend=presend, journalist=journalist, delivery=row)
                for journalist, row in zip(journalists, rows, strict=True)
            ]
        )
        presend.recipient_count = len(journalists)
        presend.mailing = mailing
        presend.save(update_fields=["recipient_count", "mailing"])
        ledger.start_sending_on_commit(mailing.pk)
        accountability.record(
            accountability.SEND, user=user, target=presend, kind="presend", recipients=len(journalists)
        )
    log.info("release %s pre-sent to %s journalists", release.pk, presend.recipient_count)
    return presend


def add_correction(*, release, kind, note, notify=False, user=None):
    """Record a correction or update of the published RELEASE; with NOTIFY, tell those who received it."""
    note = note.strip()
    if not note:
        raise ValidationError(_("Say in a sentence what was corrected or updated."), code="empty")
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        if not Release.objects.published().filter(pk=release.pk).exists():
            raise ValidationError(
                _("Only a published release can be corrected: edit a draft or a scheduled one instead."),
                code="not_published",
            )
        correction = Correction.objects.create(
            release=release, kind=kind, note=note, notify=notify, created_by=user
        )
        if notify:
            mailing = write_notices(correction)
            ledger.start_sending_on_commit(mailing.pk)
            accountability.record(
                accountability.SEND,
                user=user,
                target=correction,
                kind="correction",
                recipients=mailing.recipients,
            )
            log.info("correction %s of release %s: %s notices", correction.pk, release.pk, mailing.recipients)
    return correction


def retry_copies(*, presend, status, user=None):
    """Queue PRESEND's copies in STATUS (failed, or uncertain: an editor's decision) again."""
    return ledger.retry_rows(mailing=presend.mailing, status=status, user=user) if presend.mailing else 0


def retry_notices(*, correction, user=None):
    """Queue CORRECTION's failed notices again."""
    if correction.mailing is None:
        return 0
    return ledger.retry_rows(mailing=correction.mailing, status=Delivery.Status.FAILED, user=user)
