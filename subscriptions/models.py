import hashlib
import secrets

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from pressroom.models import Language, Topic


def new_token():
    return secrets.token_urlsafe(24)


class SubscriberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Subscriber.Status.ACTIVE)

    def for_release(self, release):
        """Active subscribers who want RELEASE: its language, and all topics or one of its topics."""
        topic_ids = [topic.pk for topic in release.topics.all()]
        wants_topic = models.Q(all_topics=True)
        if topic_ids:
            wants_topic |= models.Q(
                pk__in=Subscriber.topics.through.objects.filter(topic_id__in=topic_ids).values(
                    "subscriber_id"
                )
            )
        return self.active().filter(wants_topic, language=release.language)


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

    class ConsentMethod(models.TextChoices):
        FORM = "form", _("Sign-up form")
        IMPORT = "import", _("Import")
        ADMIN = "admin", _("Added by an editor")

    email = models.EmailField(_("email"), max_length=254)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.NB)
    all_topics = models.BooleanField(_("all topics"), default=True)
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="subscribers")
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

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [models.UniqueConstraint(Lower("email"), name="subscriber_email_ci_unique")]
        indexes = [models.Index(fields=["status", "language"], name="subscriber_status_lang")]

    def __str__(self):
        return self.email

    def rotate_token(self):
        self.token = new_token()


def email_hash(email):
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class Suppression(models.Model):
    """An erased or blocked address, kept only as a hash so that an import cannot silently re-add it."""

    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self):
        return self.email_hash[:12]
