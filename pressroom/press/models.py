"""Press work beyond the public pages: press lists and embargoed pre-sends (presend.py), upcoming
releases (upcoming.py), corrections (corrections.py) and press kits (presskit.py)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pressroom.newsroom.models import Language, Release, Topic


def new_access_token():
    import secrets

    return secrets.token_urlsafe(32)


class Journalist(models.Model):
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), max_length=254)
    outlet = models.CharField(_("outlet"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("journalist")
        verbose_name_plural = _("journalists")
        constraints = [models.UniqueConstraint(Lower("email"), name="journalist_email_ci_unique")]

    def __str__(self):
        return f"{self.name} ({self.outlet})" if self.outlet else self.name


class PressList(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        Journalist, verbose_name=_("journalists"), through="PressListMember", related_name="press_lists"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("press list")
        verbose_name_plural = _("press lists")

    def __str__(self):
        return self.name


class PressListMember(models.Model):
    press_list = models.ForeignKey(PressList, on_delete=models.CASCADE, related_name="memberships")
    journalist = models.ForeignKey(
        Journalist, verbose_name=_("journalist"), on_delete=models.CASCADE, related_name="memberships"
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["journalist__name"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["press_list", "journalist"], name="press_list_member_unique")
        ]

    def __str__(self):
        return str(self.journalist)


class PreSend(models.Model):
    """A scheduled release sent to a press list before its publish time (the embargo)."""

    release = models.ForeignKey(
        Release, verbose_name=_("release"), on_delete=models.CASCADE, related_name="presends"
    )
    press_list = models.ForeignKey(
        PressList, verbose_name=_("press list"), null=True, on_delete=models.SET_NULL, related_name="presends"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    # When the editor sent it: the ledger of recipients is written in the same transaction.
    sent_at = models.DateTimeField(_("sent"), default=timezone.now, editable=False)
    embargo_at = models.DateTimeField(_("embargo until"), editable=False)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0, editable=False)
    # The copies go out as this mailing's rows in the delivery ledger.
    mailing = models.OneToOneField(
        "subscriptions.Mailing", null=True, blank=True, on_delete=models.SET_NULL, related_name="presend",
        editable=False,
    )  # fmt: skip

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("embargoed pre-send")
        verbose_name_plural = _("embargoed pre-sends")

    def __str__(self):
        return f"{self.release} → {self.press_list or '—'}"


class PreSendRecipient(models.Model):
    """One journalist's copy of a pre-send, with the personal token that traces their opens. Sending it is
    its row in the delivery ledger."""

    presend = models.ForeignKey(PreSend, on_delete=models.CASCADE, related_name="recipients")
    journalist = models.ForeignKey(
        Journalist, verbose_name=_("journalist"), on_delete=models.CASCADE, related_name="presends"
    )
    token = models.CharField(max_length=64, unique=True, default=new_access_token, editable=False)
    delivery = models.OneToOneField(
        "subscriptions.Delivery", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="presend_copy", editable=False,
    )  # fmt: skip
    first_opened_at = models.DateTimeField(_("first opened"), null=True, blank=True, editable=False)
    last_opened_at = models.DateTimeField(_("last opened"), null=True, blank=True, editable=False)
    opens = models.PositiveIntegerField(_("page opens"), default=0, editable=False)
    downloads = models.PositiveIntegerField(_("file downloads"), default=0, editable=False)

    class Meta:
        ordering = ["journalist__name"]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [
            models.UniqueConstraint(fields=["presend", "journalist"], name="presend_recipient_unique")
        ]

    def __str__(self):
        return str(self.journalist)

    def get_absolute_url(self):
        return reverse("pressroom:embargo", kwargs={"token": self.token})


class AnnouncementQuerySet(models.QuerySet):
    def upcoming(self, now=None):
        """Announced and not yet public: today or later, and the linked release (if any) not published."""
        now = now or timezone.now()
        return (
            self.filter(date__gte=timezone.localdate(now))
            .exclude(release__in=Release.objects.published(now))
            .order_by("date", "time", "pk")
        )

    def turned(self, now=None):
        """Announcements whose release is public: they link to it from now on."""
        return self.filter(release__in=Release.objects.published(now or timezone.now()))


class Announcement(models.Model):
    """A release announced ahead: its title, date and topic are public, its content is not."""

    title = models.CharField(
        _("title"), max_length=250, help_text=_("Public now, e.g. “New figures for 2023 are published here”.")
    )
    date = models.DateField(_("date"))
    time = models.TimeField(_("time"), null=True, blank=True, help_text=_("Leave empty for the whole day."))
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="announcements",
    )  # fmt: skip
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.NB)
    release = models.ForeignKey(
        Release, verbose_name=_("release"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="announcements",
        help_text=_("The release this announces. Its content stays hidden until it is published."),
    )  # fmt: skip
    # The calendar event's UID: stable, so calendars update the event instead of adding a second one.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        ordering = ["date", "time", "pk"]
        verbose_name = _("announcement")
        verbose_name_plural = _("upcoming releases")

    def __str__(self):
        return self.title

    @property
    def starts_at(self):
        """The aware start time, or None for a whole-day announcement."""
        if self.time is None:
            return None
        from datetime import datetime

        return timezone.make_aware(datetime.combine(self.date, self.time))


class Correction(models.Model):
    """A correction or update of a published release, shown on its page with the time."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        UPDATE = "update", _("Update")

    release = models.ForeignKey(
        Release, verbose_name=_("release"), on_delete=models.CASCADE, related_name="corrections"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CORRECTION)
    note = models.TextField(
        _("note"),
        max_length=1000,
        help_text=_("What changed, in a sentence or two. Shown on the release page."),
    )
    notify = models.BooleanField(
        _("notify recipients"), default=False,
        help_text=_("Email a short notice to everyone who received the release (subscribers and the press)."),
    )  # fmt: skip
    # The notices go out as this mailing's rows in the delivery ledger.
    mailing = models.OneToOneField(
        "subscriptions.Mailing", null=True, blank=True, on_delete=models.SET_NULL, related_name="correction",
        editable=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("editor"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("correction or update")
        verbose_name_plural = _("corrections and updates")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.release}"


class CorrectionNotice(models.Model):
    """The notice of a correction to one person who received the release. The unique constraint on the
    (lower-cased) address is what makes it once per recipient; sending it is its row in the ledger."""

    correction = models.ForeignKey(Correction, on_delete=models.CASCADE, related_name="notices")
    email = models.EmailField(_("email"), max_length=254)
    subscriber = models.ForeignKey(
        "subscriptions.Subscriber", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    journalist = models.ForeignKey(
        Journalist, null=True, blank=True, on_delete=models.SET_NULL, related_name="correction_notices"
    )
    delivery = models.OneToOneField(
        "subscriptions.Delivery", null=True, blank=True, on_delete=models.SET_NULL, related_name="notice",
        editable=False,
    )  # fmt: skip

    class Meta:
        verbose_name = _("correction notice")
        verbose_name_plural = _("correction notices")
        constraints = [
            models.UniqueConstraint(
                fields=["correction", "email"], name="correction_notice_once_per_recipient"
            )
        ]

    def __str__(self):
        return f"{self.correction_id} → {self.email}"


class PressKit(models.Model):
    """The cached ZIP of a release. FINGERPRINT says which content it holds: a kit whose fingerprint no
    longer matches the release is never served."""

    release = models.OneToOneField(Release, on_delete=models.CASCADE, related_name="presskit")
    file = models.FileField(upload_to="presskits/", max_length=300)
    fingerprint = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    built_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("press kit")
        verbose_name_plural = _("press kits")

    def __str__(self):
        return self.file.name
