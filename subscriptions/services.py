"""Every change to a subscriber or a mailing goes through these functions: views, admin, commands and the
newsroom's receivers call them."""

import enum
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from pressroom.newsroom.models import Language, Topic
from pressroom.ops import accountability

from . import confirmations, digests, languages, signals, tasks
from .addresses import normalize_email
from .mailings import ACTIVE_MAILING
from .models import Delivery, Mailing, Subscriber, Suppression, TrackingEvent, email_hash


class SignUp(enum.Enum):
    """What a sign-up did. Never shown to the visitor: the page is the same whatever happened."""

    CREATED = "created"
    RESTARTED = "restarted"
    RESENT = "resent"
    TOO_SOON = "too_soon"
    ALREADY_ACTIVE = "already_active"
    SUPPRESSED = "suppressed"


class CannotConfirm(Exception):
    """The subscriber left the list (or bounced) after the link was sent: they must sign up again."""


class UndoWindowClosed(Exception):
    """Too long since the unsubscribe (or never confirmed): coming back needs a new sign-up."""


def find_subscriber(email, *, for_update=False):
    """The subscriber with EMAIL (already normalized), ignoring case, through the Lower(email) index."""
    queryset = Subscriber.objects.alias(email_lower=Lower("email")).filter(email_lower=email.lower())
    if for_update:
        queryset = queryset.select_for_update()
    return queryset.first()


def blocks_sign_up(email, method):
    """True if EMAIL's suppression stands against this sign-up: every one does, except an erasure
    against the owner's own sign-up on the form (they come back when they confirm)."""
    reason = Suppression.objects.filter(email_hash=email_hash(email)).values_list("reason", flat=True).first()
    if reason is None:
        return False
    return reason != Suppression.ERASED or method != Subscriber.ConsentMethod.FORM


def _set_preferences(subscriber, *, language, topics, frequency, releases=None):
    """RELEASES: the languages.Releases wanted; None for those of the interface LANGUAGE."""
    if subscriber.pk is not None and subscriber.status == Subscriber.Status.ACTIVE:
        _change_frequency(subscriber, frequency)
    releases = set(releases or languages.default_releases(language))
    subscriber.language = language
    subscriber.norwegian = languages.Releases.NORWEGIAN in releases
    subscriber.english = languages.Releases.ENGLISH in releases
    subscriber.frequency = frequency
    # Topics belong to a language; a topic of a language not received would never match a release.
    received = languages.received(releases)
    chosen = [topic for topic in topics if topic.language in received]
    subscriber.all_topics = not chosen
    subscriber.save()
    subscriber.topics.set(chosen)


def _change_frequency(subscriber, frequency):
    """Keep digests whole across a change of frequency: releases already had are not repeated, and
    none is dropped (digests.py)."""
    Frequency = Subscriber.Frequency
    previous, now = subscriber.frequency, timezone.now()
    if previous == frequency:
        return
    if previous == Frequency.IMMEDIATELY:
        # Everything published until now came one by one; the digest starts from here.
        subscriber.digest_covered_until = now
        return
    # What the digests of PREVIOUS have covered: the next digest, of whatever frequency, starts there.
    since = digests.owed_since(subscriber, previous, now)
    if frequency != Frequency.IMMEDIATELY:
        subscriber.digest_covered_until = since
        return
    # What the last digest did not cover yet would otherwise never come: one digest catches up (of at
    # most the last week, as any digest).
    since = max(since, now - digests.LONGEST_LOOKBACK)
    subscriber.digest_covered_until = None
    mailing_id = digests.plan_catch_up(subscriber=subscriber, frequency=previous, since=since, until=now)
    if mailing_id is not None:
        start_sending_on_commit(mailing_id)


def _record_consent(subscriber, *, method, source, note="", now):
    subscriber.consent_at = now
    subscriber.consent_method = method
    subscriber.consent_text_version = settings.SUBSCRIPTIONS_CONSENT_VERSION[:20]
    subscriber.consent_source = source[:500]
    subscriber.consent_note = note


def sign_up(
    *,
    email,
    language=Language.NB,
    topics=(),
    frequency=Subscriber.Frequency.IMMEDIATELY,
    source="",
    method=Subscriber.ConsentMethod.FORM,
    releases=None,
):
    """Start (or restart) a double opt-in for EMAIL and queue the confirmation email after commit."""
    email = normalize_email(email)
    if language not in Language.values or frequency not in Subscriber.Frequency.values:
        raise ValueError(f"Unknown language {language!r} or frequency {frequency!r}.")
    if blocks_sign_up(email, method):
        return SignUp.SUPPRESSED
    now = timezone.now()
    with transaction.atomic():
        subscriber = find_subscriber(email, for_update=True)
        if subscriber is None:
            subscriber = Subscriber(email=email, status=Subscriber.Status.PENDING)
            outcome = SignUp.CREATED
        elif subscriber.status == Subscriber.Status.ACTIVE:
            # Nothing is sent: a stranger typing a subscriber's address must not be able to fill their inbox.
            return SignUp.ALREADY_ACTIVE
        elif subscriber.status in Suppression.BLOCKS_SIGN_UP:
            # Mail to this address bounced or drew a complaint: nothing is sent, the row and its history
            # stay as they are (and the visitor sees the same page as any sign-up).
            return SignUp.SUPPRESSED
        elif subscriber.status == Subscriber.Status.PENDING:
            # One still owed (its task lost) is sent now; one sent a moment ago is not sent again.
            owed = confirmations.owed_mailings(subscriber)
            for mailing_id in owed:
                start_sending_on_commit(mailing_id)
            interval = timedelta(seconds=settings.SUBSCRIPTIONS_RESEND_INTERVAL)
            recent = subscriber.confirmation_sent_at and now - subscriber.confirmation_sent_at < interval
            if recent and not owed:
                return SignUp.TOO_SOON
            outcome = SignUp.RESENT
        else:
            subscriber.status = Subscriber.Status.PENDING
            outcome = SignUp.RESTARTED
        _record_consent(subscriber, method=method, source=source, now=now)
        try:
            # A savepoint: a concurrent sign-up of the same new address may win the unique constraint.
            with transaction.atomic():
                _set_preferences(
                    subscriber, language=language, topics=topics, frequency=frequency, releases=releases
                )
        except IntegrityError:
            return SignUp.TOO_SOON
        # The confirmation's row in the ledger is written with the sign-up: with the broker down the
        # visitor still gets their answer, and the sweeper sends it once the broker is back.
        if not Subscriber.objects.owed_confirmation().filter(pk=subscriber.pk).exists():
            start_sending_on_commit(confirmations.write([subscriber.pk]).pk)
    return outcome


def start_sending_on_commit(mailing_id):
    """Start the senders of a mailing written in this transaction once it is committed."""
    # Robust: when this runs the rows are committed, and a broker that is down must not turn a sign-up
    # (or a publication) into a server error; the sweeper starts what did not leave.
    transaction.on_commit(lambda: tasks.start_sending(mailing_id), robust=True)


def confirm_subscription(*, subscriber):
    """Make a pending subscriber active. True if this call confirmed it, False if it already was."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status == Subscriber.Status.ACTIVE:
            return False
        if subscriber.status != Subscriber.Status.PENDING:
            raise CannotConfirm
        subscriber.status = Subscriber.Status.ACTIVE
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["status", "confirmed_at", "updated_at"])
        # An erased person who signed up again and confirmed is back: the erasure no longer describes them.
        Suppression.objects.filter(
            email_hash=email_hash(subscriber.email), reason=Suppression.ERASED
        ).delete()
    return True


def unsubscribe(*, subscriber, how):
    """Take SUBSCRIBER off the list. True if this call did it; a second call keeps the first time."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
            return False
        subscriber.status = Subscriber.Status.UNSUBSCRIBED
        subscriber.unsubscribed_at = timezone.now()
        subscriber.unsubscribe_method = how
        subscriber.save(update_fields=["status", "unsubscribed_at", "unsubscribe_method", "updated_at"])
    return True


def undo_deadline(subscriber):
    if subscriber.unsubscribed_at is None:
        return None
    return subscriber.unsubscribed_at + timedelta(days=settings.SUBSCRIPTIONS_UNDO_DAYS)


def can_resubscribe(subscriber, now=None):
    deadline = undo_deadline(subscriber)
    return (
        subscriber.status == Subscriber.Status.UNSUBSCRIBED
        and subscriber.confirmed_at is not None
        and deadline is not None
        and (now or timezone.now()) < deadline
    )


def resubscribe(*, subscriber):
    """Undo an unsubscribe within the undo window. True if this call did it, False if already active."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status == Subscriber.Status.ACTIVE:
            return False
        if not can_resubscribe(subscriber):
            raise UndoWindowClosed
        subscriber.status = Subscriber.Status.ACTIVE
        subscriber.unsubscribed_at = None
        subscriber.unsubscribe_method = ""
        subscriber.save(update_fields=["status", "unsubscribed_at", "unsubscribe_method", "updated_at"])
    return True


def update_preferences(*, subscriber, language, topics, frequency, releases=None):
    """Set what SUBSCRIBER receives. No topics means all topics; no RELEASES, those of LANGUAGE."""
    with transaction.atomic():
        _set_preferences(subscriber, language=language, topics=topics, frequency=frequency, releases=releases)


def erase_subscriber(*, subscriber, reason=Suppression.ERASED, user=None):
    """Delete every personal detail of SUBSCRIBER wherever it was stored, keeping only a hash so that no
    import re-adds them. A bounced or complained address keeps that as its reason: it stays blocked."""
    if subscriber.status in Suppression.BLOCKS_SIGN_UP:
        reason = subscriber.status
    with transaction.atomic():
        hashed = email_hash(subscriber.email)
        _suppression, created = Suppression.objects.get_or_create(
            email_hash=hashed, defaults={"reason": reason}
        )
        if not created and reason in Suppression.BLOCKS_SIGN_UP:
            Suppression.objects.filter(email_hash=hashed).update(reason=reason)
        TrackingEvent.objects.filter(recipient__iexact=subscriber.email).update(recipient="")
        # Ledger rows that hold the address rather than the subscriber: the unsent go, the rest forget it.
        held = Delivery.objects.filter(email__iexact=subscriber.email)
        held.filter(status=Delivery.Status.QUEUED).delete()
        held.update(email="")
        signals.subscriber_erased.send(sender=Subscriber, subscriber=subscriber)
        # The audit entry names the subscriber by id only: the address is what is being erased.
        accountability.record(accountability.ERASE, user=user, subscriber=subscriber.pk, reason=reason)
        subscriber.delete()


# Mailings: created by publishing, steered by editors; mailings.py sends them, in tasks.


def create_for_release(*, release):
    """Create the mailing of a just-published release, inside the publishing transaction (once)."""
    mailing, created = Mailing.objects.get_or_create(
        kind=Mailing.Kind.RELEASE, release=release, audience=Mailing.Audience.SUBSCRIBERS
    )
    if created:
        # Robust: when this runs the publication is committed, and a broker that is down must not turn
        # it into a server error (or stop a bulk publish halfway). The error is logged; the sweeper
        # prepares a mailing whose task never left. (A lambda: Django logs the callable's __qualname__.)
        transaction.on_commit(lambda: tasks.prepare_mailing.delay(mailing.pk), robust=True)
    return mailing


def pause(*, mailing):
    Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.SENDING).update(status=Mailing.Status.PAUSED)


def resume(*, mailing):
    if Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.PAUSED).update(
        status=Mailing.Status.SENDING, last_activity_at=timezone.now()
    ):
        transaction.on_commit(lambda: tasks.start_sending(mailing.pk))


def cancel(*, mailing):
    with transaction.atomic():
        if Mailing.objects.filter(pk=mailing.pk, status__in=[*ACTIVE_MAILING, Mailing.Status.PAUSED]).update(
            status=Mailing.Status.CANCELLED, finished_at=timezone.now()
        ):
            Delivery.objects.filter(mailing=mailing, status=Delivery.Status.QUEUED).update(
                status=Delivery.Status.SKIPPED, error="mailing cancelled"
            )


def retry_rows(*, mailing, status, user=None):
    """Queue FAILED or UNCERTAIN rows again (an editor's decision) and restart the mailing."""
    with transaction.atomic():
        count = Delivery.objects.filter(mailing=mailing, status=status).update(
            status=Delivery.Status.QUEUED, claim=None, handed_over_at=None, next_attempt_at=None, attempts=0
        )
        if count:
            Mailing.objects.filter(pk=mailing.pk).exclude(status=Mailing.Status.CANCELLED).update(
                status=Mailing.Status.SENDING, finished_at=None, last_activity_at=timezone.now()
            )
            transaction.on_commit(lambda: tasks.start_sending(mailing.pk))
            accountability.record(
                accountability.RESEND, user=user, target=mailing, status=status, recipients=count
            )
    return count


# Import


class ImportAborted(Exception):
    def __init__(self, report):
        super().__init__(_("The file has invalid rows; nothing was imported."))
        self.report = report


@dataclass
class ImportRow:
    line: int
    email: str
    language: str
    topics: list
    frequency: str
    releases: list  # languages.Releases


@dataclass
class ImportReport:
    valid: list = field(default_factory=list)  # ImportRow
    invalid: list = field(default_factory=list)  # (line, message)
    duplicates: list = field(default_factory=list)  # (line, email, why)
    suppressed: list = field(default_factory=list)  # (line, email)
    imported: int = 0
    dry_run: bool = False


def _parse_row(line, row, topics_by_slug):
    errors = []
    email = ""
    try:
        email = normalize_email(row.get("email") or "")
    except ValidationError:
        errors.append(_("not a valid email address: %(value)r") % {"value": (row.get("email") or "")[:100]})
    language = (row.get("language") or "").strip().lower() or settings.LANGUAGE_CODE
    if language not in Language.values:
        errors.append(_("unknown language %(value)r (use nb, nn or en)") % {"value": language[:20]})
    frequency = (row.get("frequency") or "").strip().lower() or Subscriber.Frequency.IMMEDIATELY
    if frequency not in Subscriber.Frequency.values:
        errors.append(_("unknown frequency %(value)r") % {"value": frequency[:20]})
    releases = _parse_releases(row, language, errors)
    received = languages.received(releases)
    topics = []
    for item in filter(None, (part.strip() for part in (row.get("topics") or "").split(";"))):
        # "slug" is a topic of the interface language (else of another language received);
        # "en:slug" names the language, as the export writes topics of other languages.
        code, colon, slug = item.rpartition(":")
        candidates = [code] if colon else [language, *sorted(received - {language})]
        topic = next(
            (topics_by_slug[(c, slug)] for c in candidates if c in received and (c, slug) in topics_by_slug),
            None,
        )
        if topic is None:
            errors.append(
                _("no %(language)s topic with slug %(value)r")
                % {"language": (code if colon else language)[:20], "value": slug[:100]}
            )
        else:
            topics.append(topic)
    if errors:
        return None, "; ".join(errors)
    return ImportRow(
        line=line, email=email, language=language, topics=topics, frequency=frequency, releases=releases
    ), None


YES = {"yes", "true", "1", "ja", "y"}
NO = {"no", "false", "0", "nei", "n"}


def _parse_releases(row, language, errors):
    """The languages.Releases of a row's norwegian and english columns (yes or no); a blank or missing
    one is as for someone who chose only the interface LANGUAGE."""
    defaults = languages.default_releases(language if language in Language.values else Language.NB)
    wanted = {}
    for column, choice in (
        ("norwegian", languages.Releases.NORWEGIAN),
        ("english", languages.Releases.ENGLISH),
    ):
        value = (row.get(column) or "").strip().lower()
        if not value:
            wanted[column] = choice in defaults
        elif value in YES or value in NO:
            wanted[column] = value in YES
        else:
            errors.append(
                _("%(column)s must be yes or no, not %(value)r") % {"column": column, "value": value[:20]}
            )
            wanted[column] = choice in defaults
    if not wanted["norwegian"] and not wanted["english"]:
        errors.append(_("norwegian and english are both no: a subscriber gets at least one of them"))
    return languages.chosen(**wanted)


def import_subscribers(
    *,
    rows,
    confirmed=False,
    consent_note="",
    source="",
    dry_run=False,
    skip_invalid=False,
    progress=None,
    user=None,
):
    """Add the subscribers of ROWS, an iterable of (line number, {email, language, topics[, frequency,
    norwegian, english]}).

    Without CONFIRMED each new subscriber is pending and gets a confirmation email; with it they are
    active at once, which requires a CONSENT_NOTE saying where their consent was given. Duplicates (in
    the file or already in the list) and suppressed (erased) addresses are skipped and reported. Any
    invalid row aborts the whole import (ImportAborted, nothing written) unless SKIP_INVALID.
    """
    consent_note = (consent_note or "").strip()
    if confirmed and not consent_note:
        raise ValueError(_("Importing confirmed subscribers needs a consent note saying how they consented."))
    topics_by_slug = {(topic.language, topic.slug): topic for topic in Topic.objects.all()}
    report = ImportReport(dry_run=dry_run)
    seen = {}
    for line, row in rows:
        parsed, error = _parse_row(line, row, topics_by_slug)
        if error:
            report.invalid.append((line, error))
        elif parsed.email.lower() in seen:
            report.duplicates.append(
                (line, parsed.email, _("same as line %(line)d") % {"line": seen[parsed.email.lower()]})
            )
        else:
            seen[parsed.email.lower()] = line
            report.valid.append(parsed)

    hashes = {email_hash(row.email): row for row in report.valid}
    suppressed = set(
        Suppression.objects.filter(email_hash__in=list(hashes)).values_list("email_hash", flat=True)
    )
    lowered = [row.email.lower() for row in report.valid]
    existing = set()
    for start in range(0, len(lowered), 500):
        existing.update(
            Subscriber.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=lowered[start : start + 500])
            .values_list("email_lower", flat=True)
        )
    valid = []
    for row in report.valid:
        if email_hash(row.email) in suppressed:
            report.suppressed.append((row.line, row.email))
        elif row.email.lower() in existing:
            report.duplicates.append((row.line, row.email, _("already in the list")))
        else:
            valid.append(row)
    report.valid = valid
    report.duplicates.sort()

    if report.invalid and not skip_invalid:
        raise ImportAborted(report)
    if dry_run:
        return report

    now = timezone.now()
    method = Subscriber.ConsentMethod.IMPORT
    to_confirm = []
    with transaction.atomic():
        for number, row in enumerate(report.valid, start=1):
            subscriber = Subscriber(email=row.email)
            _record_consent(subscriber, method=method, source=source, note=consent_note, now=now)
            subscriber.consent_text_version = ""
            if confirmed:
                subscriber.status = Subscriber.Status.ACTIVE
                subscriber.confirmed_at = now
            else:
                subscriber.status = Subscriber.Status.PENDING
            _set_preferences(
                subscriber,
                language=row.language,
                topics=row.topics,
                frequency=row.frequency,
                releases=row.releases,
            )
            if not confirmed:
                to_confirm.append(subscriber.pk)
            report.imported += 1
            if progress:
                progress(number, len(report.valid))
        if to_confirm:
            start_sending_on_commit(confirmations.write(to_confirm).pk)
        accountability.record(
            accountability.IMPORT,
            user=user,
            kind="subscribers",
            source=source,
            imported=report.imported,
            confirmed=confirmed,
        )
    return report
