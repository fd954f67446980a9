import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pressroom.newsroom.models import Language, Topic

from . import languages


def new_token():
    return secrets.token_urlsafe(24)


STATUS_COUNTS_SECONDS = 60


class SubscriberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Subscriber.Status.ACTIVE)

    def status_counts(self):
        """{status: subscribers}, at most STATUS_COUNTS_SECONDS old: counting a million rows takes a few
        hundred milliseconds, and the start page and the subscriber list show these on every view."""
        return cache.get_or_set(
            "subscriptions:status-counts",
            lambda: dict(self.values_list("status").annotate(n=models.Count("pk")).order_by()),
            STATUS_COUNTS_SECONDS,
        )

    def for_release(self, release):
        """Active subscribers who get RELEASE: this version of it by their languages (languages.py) and
        not another they already had, and all topics or one of its topics."""
        topic_ids = [topic.pk for topic in release.topics.all()]
        wants_topic = models.Q(all_topics=True)
        if topic_ids:
            wants_topic |= models.Q(
                pk__in=Subscriber.topics.through.objects.filter(topic_id__in=topic_ids).values(
                    "subscriber_id"
                )
            )
        others = languages.other_norwegian(release)
        subscribers = self.active().filter(wants_topic, languages.audience(release, others))
        if others:
            # Each release once: whoever had another version of it (by mailing or digest) does not get this.
            had = Delivery.objects.filter(
                models.Q(mailing__release_id__in=list(others)) | models.Q(mailing__releases__in=list(others))
            ).exclude(status__in=Delivery.NOT_HAD)
            subscribers = subscribers.exclude(pk__in=had.values("subscriber_id"))
        return subscribers

    def owed_confirmation(self):
        """Pending sign-ups whose confirmation email is in the ledger and not sent yet."""
        owed = Delivery.objects.filter(
            subscriber=models.OuterRef("pk"),
            mailing__kind=Mailing.Kind.CONFIRMATION,
            status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING],
        )
        return self.filter(models.Exists(owed), status=Subscriber.Status.PENDING)

    def stale_signups(self, now=None):
        """Sign-ups never confirmed within SUBSCRIPTIONS_PENDING_MAX_DAYS (they are purged daily)."""
        cutoff = (now or timezone.now()) - timedelta(days=settings.SUBSCRIPTIONS_PENDING_MAX_DAYS)
        # consent_at is renewed by every sign-up, so a restarted sign-up gets its full time to be confirmed.
        stale = models.Q(consent_at__lt=cutoff) | models.Q(consent_at__isnull=True, created_at__lt=cutoff)
        # A pending row whose mail once bounced or drew a complaint keeps that history: it is not purged.
        troubled = Delivery.objects.filter(event__in=Suppression.BLOCKS_SIGN_UP).values("subscriber_id")
        return self.filter(stale, status=Subscriber.Status.PENDING).exclude(pk__in=troubled)


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        ACTIVE = "active", _("Active")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained")

    class Frequency(models.TextChoices):
        IMMEDIATELY = "immediately", _("Immediately")
        DAILY = "daily", _("Daily digest")
        WEEKLY = "weekly", _("Weekly digest")

    class UnsubscribeMethod(models.TextChoices):
        ONE_CLICK = "one_click", _("One-click (mail program)")
        PAGE = "page", _("Unsubscribe page")
        PREFERENCES = "preferences", _("Preferences page")
        ADMIN = "admin", _("An editor")

    class ConsentMethod(models.TextChoices):
        FORM = "form", _("Sign-up form")
        IMPORT = "import", _("Import")
        ADMIN = "admin", _("Added by an editor")

    email = models.EmailField(_("email"), max_length=254)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    # The interface language: of the pages and the emails' chrome, and the preferred written standard.
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.NB)
    # The releases wanted, by language (languages.py): Norwegian (bokmål and nynorsk), English.
    norwegian = models.BooleanField(_("Norwegian releases"), default=True)
    english = models.BooleanField(_("English releases"), default=False)
    all_topics = models.BooleanField(_("all topics"), default=True)
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="subscribers")
    # Every release published before this time has been in this subscriber's digests, or was theirs one
    # by one before they chose a digest (None: since the start of the current period). A change of
    # frequency therefore neither repeats nor drops a release (digests.py).
    # Set when a subscriber changes frequency: from when their next digest owes them releases. Cleared by
    # the next run of their frequency, after which the run itself says (DigestRun).
    digest_covered_until = models.DateTimeField(null=True, blank=True, editable=False)
    frequency = models.CharField(
        _("frequency"), max_length=20, choices=Frequency.choices, default=Frequency.IMMEDIATELY
    )
    # Every link in every email is built from this token: rotating it voids every link ever sent.
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)

    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    consent_method = models.CharField(
        _("consent method"), max_length=10, choices=ConsentMethod.choices, blank=True
    )
    consent_text_version = models.CharField(_("consent text version"), max_length=20, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=500, blank=True)
    consent_note = models.TextField(_("consent note"), blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(_("confirmation sent"), null=True, blank=True)
    unsubscribe_method = models.CharField(
        _("unsubscribed by"), max_length=20, choices=UnsubscribeMethod.choices, blank=True
    )

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [models.UniqueConstraint(Lower("email"), name="subscriber_email_ci_unique")]
        indexes = [
            models.Index(fields=["status", "language"], name="subscriber_status_lang"),
            # Who joined and who left lately: the start page's trend and a mailing's "unsubscribed since".
            models.Index(fields=["status", "confirmed_at"], name="subscriber_status_confirmed"),
            models.Index(fields=["status", "unsubscribed_at"], name="subscriber_status_left"),
            # The subscriber list's order (newest first), without sorting a million rows per page.
            models.Index(fields=["-created_at", "-id"], name="subscriber_newest"),
        ]

    def __str__(self):
        return self.email

    def rotate_token(self):
        self.token = new_token()


def email_hash(email):
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class Suppression(models.Model):
    """An erased or blocked address, kept only as a hash so that an import cannot silently re-add it."""

    # The reasons: an erased address may come back by its owner's own confirmed sign-up; one erased after
    # it bounced or complained may not (erasing must not lift a complaint).
    ERASED = "erased"
    BLOCKS_SIGN_UP = (Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED)

    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self):
        return self.email_hash[:12]


class Mailing(models.Model):
    """One send of one email to its recipients, whatever kind of email it is: a release to its
    subscribers, one digest's content to the subscribers it is owed to, a confirmation email, an
    embargoed pre-send, a correction notice. Its rows in the ledger (Delivery) are written before anything
    is sent, and mailings.py sends every kind the same way.

    A release's mailing is created in the publishing transaction; the unique constraint makes a second
    publish, a double click or a redelivered task a no-op. A digest's is made by the digest run for each
    distinct content (language and releases) of a period, once."""

    class Kind(models.TextChoices):
        RELEASE = "release", _("Release")
        DIGEST = "digest", _("Digest")
        CONFIRMATION = "confirmation", _("Confirmation email")
        PRESEND = "presend", _("Embargoed pre-send")
        CORRECTION = "correction", _("Correction notice")

    class Audience(models.TextChoices):
        SUBSCRIBERS = "subscribers", _("Subscribers (immediately)")

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Done")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RELEASE)
    release = models.ForeignKey(
        "newsroom.Release", verbose_name=_("release"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="mailings",
    )  # fmt: skip
    # A digest: the releases it lists, in one language, for the period [period_start, period_end).
    releases = models.ManyToManyField(
        "newsroom.Release", verbose_name=_("releases"), blank=True, related_name="digest_mailings"
    )
    frequency = models.CharField(_("frequency"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=2, blank=True)
    period_start = models.DateTimeField(_("period start"), null=True, blank=True)
    period_end = models.DateTimeField(_("period end"), null=True, blank=True)
    # A digest's content (language and release ids) as a hash: one mailing per content and period.
    content_key = models.CharField(max_length=64, blank=True, editable=False)
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.SUBSCRIBERS
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PREPARING)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    prepared_at = models.DateTimeField(_("ledger written"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Updated by every batch; the sweeper uses it to find mailings that nobody is working on.
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        constraints = [
            models.UniqueConstraint(
                fields=["release", "audience"],
                condition=models.Q(kind="release"),
                name="mailing_unique_per_audience",
            ),
            models.UniqueConstraint(
                fields=["frequency", "period_start", "content_key"],
                condition=models.Q(kind="digest"),
                name="digest_once_per_content_and_period",
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="mailing_by_status")]

    def __str__(self):
        if self.kind == self.Kind.RELEASE:
            return f"{self.release} → {self.get_audience_display()}"
        if self.kind == self.Kind.DIGEST and self.period_end:
            return f"{self.get_kind_display()} ({self.frequency}, {self.language}) {self.period_end:%Y-%m-%d}"
        return f"{self.get_kind_display()} {self.release or ''} #{self.pk}".replace("  ", " ")


class Delivery(models.Model):
    """The ledger: one row per email to one person, written before the provider is called. Every email
    the system sends has one (mailings.py). A subscriber's row reads their address from the subscriber,
    so an erased subscriber leaves no address behind; a row for someone who is not a subscriber (a
    journalist) keeps the address in EMAIL."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNCERTAIN = "uncertain", _("Uncertain")
        SKIPPED = "skipped", _("Skipped (left the list)")

    # Rows that mean the recipient does not have (and will not have) the email: all others mean they do.
    NOT_HAD = (Status.FAILED, Status.SKIPPED)

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    email = models.EmailField(_("email"), max_length=254, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The claim that holds the row while a batch is in flight, and when the provider was called:
    # a row claimed but never handed to the provider can be queued again; one handed over cannot.
    claim = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When the database server that took the claim had started (PostgreSQL): a claim made before the server
    # last started may have lost its last asynchronous hand-overs with it (mailings.OneByOne).
    claimed_during = models.DateTimeField(null=True, blank=True)
    # The process (host:pid) holding the claim: when its heartbeat stops, the claim is recovered at once.
    claimed_by = models.CharField(max_length=200, blank=True, default="")
    handed_over_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    event = models.CharField(max_length=20, blank=True)  # the last tracking event: delivered, bounced…
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["mailing", "subscriber"], name="delivery_unique_recipient")
        ]
        indexes = [
            models.Index(fields=["mailing", "status", "id"], name="delivery_claim"),
            models.Index(fields=["claim"], name="delivery_by_claim"),
            models.Index(fields=["message_id"], name="delivery_by_message_id"),
            # The few rows with a tracking event, for a mailing's progress (bounced, complained).
            models.Index(fields=["mailing", "event"], condition=~models.Q(event=""), name="delivery_events"),
        ]

    def __str__(self):
        return f"{self.mailing_id}:{self.subscriber_id} {self.status}"


class DeliveryTally(models.Model):
    """How many of a mailing's ledger rows are in each status, kept as changes to be added up: the
    editors' progress reads a few of these rows instead of counting a million deliveries per view.

    Database triggers on the ledger write them (made by the migration named delivery_tally), in the
    statement that changes the rows, so every path that changes a row's status (claim, hand-over,
    write-back, sweep, the editors' actions, an erasure) is counted in its own transaction and a crash
    cannot make them drift. On PostgreSQL a trigger adds one row per status and statement, from the
    statement's changed rows; it inserts rather than updates a counter, so that parallel senders never wait
    on one another. `mailings.compact` folds a mailing's rows into one per status."""

    mailing = models.ForeignKey(
        Mailing, on_delete=models.DO_NOTHING, db_constraint=False, related_name="tallies"
    )  # a trigger removes them with their mailing
    status = models.CharField(max_length=10, choices=Delivery.Status.choices)
    n = models.BigIntegerField()

    class Meta:
        verbose_name = _("delivery count")
        verbose_name_plural = _("delivery counts")
        indexes = [models.Index(fields=["mailing", "status"], name="tally_by_mailing")]

    def __str__(self):
        return f"{self.mailing_id} {self.status} {self.n:+d}"


class DigestRun(models.Model):
    """A digest run that was planned: up to when the digests of its frequency cover the archive. A
    subscriber is owed what was published since the last run of their frequency (or, for a while after
    they change frequency, since the time their own row says), so a run writes one row here instead of
    one per subscriber."""

    frequency = models.CharField(max_length=20)
    period_end = models.DateTimeField()
    planned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("digest run")
        verbose_name_plural = _("digest runs")
        constraints = [
            models.UniqueConstraint(fields=["frequency", "period_end"], name="digest_run_once_per_period")
        ]

    def __str__(self):
        return f"{self.frequency} {self.period_end:%Y-%m-%d %H:%M}"


class TrackingEvent(models.Model):
    """Provider events already handled, by their id: a replayed webhook changes nothing."""

    event_id = models.CharField(max_length=200, unique=True)
    event_type = models.CharField(max_length=30)
    recipient = models.CharField(max_length=254, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")

    def __str__(self):
        return f"{self.event_type} {self.event_id}"
