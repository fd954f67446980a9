import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Min, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_prose_editor.fields import ProseEditorField

from . import outbound, pagecache, uploads
from .richtext import PROSE_EDITOR_EXTENSIONS, sanitize_html
from .text import slugify


class Language(models.TextChoices):
    NB = "nb", _("Norwegian bokmål")
    EN = "en", _("English")


class Newsroom(models.Model):
    """The organisation's own profile. One per installation: `Newsroom.load()` returns it."""

    name = models.CharField(_("name"), max_length=200)
    tagline = models.CharField(_("tagline"), max_length=300, blank=True)
    about = ProseEditorField(
        _("about us"), config={"extensions": PROSE_EDITOR_EXTENSIONS}, sanitize=sanitize_html, blank=True,
        help_text=_('The "About us" boilerplate shown under every release.'),
    )  # fmt: skip
    logo = models.ImageField(_("logo"), upload_to="newsroom/", blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("press email"), blank=True)
    phone = models.CharField(_("press phone"), max_length=50, blank=True)
    default_language = models.CharField(
        _("default language"), max_length=2, choices=Language.choices, default=Language.NB
    )

    class Meta:
        verbose_name = _("newsroom profile")
        verbose_name_plural = _("newsroom profile")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        self.about = sanitize_html(self.about)
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        newsroom = cls.objects.filter(pk=1).first()
        return newsroom or cls(pk=1, name="Pressroom")


class Topic(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.NB)

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        constraints = [models.UniqueConstraint(fields=["language", "slug"], name="topic_unique_slug")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.slug = self.slug or slugify(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("pressroom:topic", kwargs={"language": self.language, "slug": self.slug})


class Contact(models.Model):
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    photo = models.ImageField(_("photo"), upload_to="contacts/", blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("press contact")
        verbose_name_plural = _("press contacts")

    def __str__(self):
        return f"{self.name} ({self.role})" if self.role else self.name

    def get_vcard_url(self):
        return reverse("pressroom:contact_vcard", kwargs={"pk": self.pk})


class ReleaseQuerySet(models.QuerySet):
    def published(self, now=None):
        """The publication rule: what the public may see. Every public surface uses this."""
        return self.filter(status__in=Release.PUBLIC_STATUSES, published_at__lte=now or timezone.now())

    def next_publication_at(self, now=None):
        """When the publication rule next lets a release in: the earliest time still to come of a
        scheduled (or published) release, or None."""
        upcoming = self.filter(status__in=Release.PUBLIC_STATUSES, published_at__gt=now or timezone.now())
        return upcoming.aggregate(at=Min("published_at"))["at"]

    def due(self, now=None):
        """Scheduled releases whose time has come but that have not been marked published yet."""
        return self.filter(status=Release.Status.SCHEDULED, published_at__lte=now or timezone.now())

    def for_listing(self):
        return self.prefetch_related("topics").order_by("-published_at", "-pk")

    def search(self, query):
        query = (query or "").strip()[:200]
        if not query:
            return self.none()
        if settings.USING_POSTGRES:
            from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

            vector = (
                SearchVector("title", weight="A", config="simple")
                + SearchVector("lead", weight="B", config="simple")
                + SearchVector("body", weight="C", config="simple")
            )
            search_query = SearchQuery(query, config="simple", search_type="websearch")
            # Match with @@, not rank > 0: ts_rank gives non-matching rows a tiny positive rank.
            return (
                self.annotate(search=vector, rank=SearchRank(vector, search_query))
                .filter(search=search_query)
                .order_by("-rank", "-published_at")
            )
        condition = Q()
        for word in query.split()[:10]:
            condition &= Q(title__icontains=word) | Q(lead__icontains=word) | Q(body__icontains=word)
        return self.filter(condition).order_by("-published_at")


class Release(models.Model):
    class Kind(models.TextChoices):
        PRESS_RELEASE = "press_release", _("Press release")
        NEWS = "news", _("News")
        STATEMENT = "statement", _("Statement")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")

    # Statuses the publication rule lets through once their time has come (see ReleaseQuerySet).
    PUBLIC_STATUSES = (Status.SCHEDULED, Status.PUBLISHED)

    title = models.CharField(_("title"), max_length=250)
    slug = models.SlugField(
        _("slug"), max_length=120, unique=True, blank=True,
        help_text=_("The address of the release. Fixed once the release is published."),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PRESS_RELEASE)
    lead = models.TextField(_("lead"), blank=True)
    body = ProseEditorField(
        _("body"),
        config={"extensions": PROSE_EDITOR_EXTENSIONS},
        sanitize=sanitize_html,
        blank=True,
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.NB)
    translation_of = models.OneToOneField(
        "self", verbose_name=_("translation of"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="translation",
    )  # fmt: skip
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="releases")
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("press contacts"), through="ReleaseContact", blank=True,
        related_name="releases",
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("publish time"), null=True, blank=True, db_index=True)
    first_published_at = models.DateTimeField(_("first published"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        indexes = [models.Index(fields=["status", "published_at"], name="release_status_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="release_scheduled_has_time",
            )
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body = sanitize_html(self.body)
        if not self.slug:
            self.slug = self.unique_slug()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("pressroom:release", kwargs={"slug": self.slug})

    def unique_slug(self):
        base = slugify(self.title)[:100] or "release"
        slug, n = base, 2
        while Release.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug

    def clean(self):
        if self.pk and self.slug:
            old = Release.objects.filter(pk=self.pk).values_list("slug", "first_published_at").first()
            if old and old[1] and old[0] != self.slug:
                raise ValidationError({"slug": _("The address cannot change after publication.")})

    @property
    def is_public(self):
        return (
            self.status in self.PUBLIC_STATUSES
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def images(self):
        return [a for a in self.attachments.all() if a.kind == Attachment.Kind.IMAGE]

    @property
    def documents(self):
        return [a for a in self.attachments.all() if a.kind == Attachment.Kind.DOCUMENT]

    @property
    def header_image(self):
        """The first image attachment, in the editors' order."""
        images = self.images
        return images[0] if images else None


class ReleaseContact(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="release_contacts")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, verbose_name=_("contact"))
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("press contact")
        verbose_name_plural = _("press contacts")
        constraints = [models.UniqueConstraint(fields=["release", "contact"], name="release_contact_unique")]

    def __str__(self):
        return str(self.contact)


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        DOCUMENT = "document", _("Document")

    release = models.ForeignKey(
        Release, verbose_name=_("release"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=uploads.upload_to, max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, editable=False)
    title = models.CharField(_("title"), max_length=200, blank=True)
    caption = models.TextField(_("caption"), blank=True)
    alt_text = models.CharField(
        _("alt text"), max_length=300, blank=True,
        help_text=_("Describes the image for people who cannot see it. Required for images."),
    )  # fmt: skip
    credit = models.CharField(_("credit"), max_length=200, blank=True)
    licence = models.CharField(_("licence"), max_length=200, blank=True)
    content_type = models.CharField(_("type"), max_length=100, editable=False)
    size = models.PositiveBigIntegerField(_("size"), default=0, editable=False)
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    web = models.ImageField(upload_to=uploads.rendition_upload_to, blank=True, editable=False)
    thumb = models.ImageField(upload_to=uploads.rendition_upload_to, blank=True, editable=False)
    order = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("image or document")
        verbose_name_plural = _("images and documents")

    def __str__(self):
        return self.title or self.filename

    def save(self, *args, **kwargs):
        new_file = self.file and not self.file._committed
        if new_file and not self.content_type:
            self.full_clean(exclude=["release"])
        super().save(*args, **kwargs)
        if new_file and self.kind == self.Kind.IMAGE:
            self.make_renditions()

    def get_absolute_url(self):
        return reverse("pressroom:attachment", kwargs={"pk": self.pk, "filename": self.filename})

    @property
    def filename(self):
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""

    @property
    def is_image(self):
        return self.kind == self.Kind.IMAGE

    def clean(self):
        upload = self.file.file if self.file and not self.file._committed else None
        if upload is not None:
            try:
                detected = uploads.detect(upload)
            except ValidationError as exc:
                raise ValidationError({"file": exc.messages}) from None
            self.kind = detected.kind
            self.content_type = detected.content_type
            self.size = upload.size
            self.width, self.height = detected.width, detected.height
            self.file.name = uploads.safe_filename(self.file.name, detected.extension)
        if self.kind == self.Kind.IMAGE and not self.alt_text.strip():
            raise ValidationError({"alt_text": _("Images need an alt text.")})

    def make_renditions(self):
        with self.file.open("rb") as source:
            for field, width in uploads.RENDITION_WIDTHS.items():
                content, ext = uploads.make_rendition(source, width)
                base = self.filename.rsplit(".", 1)[0]
                getattr(self, field).save(f"{base}-{field}.{ext}", content, save=False)
        Attachment.objects.filter(pk=self.pk).update(web=self.web.name, thumb=self.thumb.name)
        pagecache.invalidate_now_and_on_commit()  # an update() sends no signal

    def get_rendition_url(self, name="web"):
        if not self.is_image:
            return ""
        return reverse("pressroom:rendition", kwargs={"pk": self.pk, "name": name})


# The HTTP API's tokens and the outbound webhooks (pressroom/api_auth.py, pressroom/webhooks.py).


class ApiToken(models.Model):
    """A per-user key for the editors' API. Only a SHA-256 of the secret is stored; the admin shows the
    plaintext once, when the token is created."""

    class Scope(models.TextChoices):
        READ = "read", _("Read (drafts included)")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. “Intranet”."))
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    # The first characters of the key, so that editors can tell their tokens apart in the admin.
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self):
        return self.revoked_at is not None


def new_webhook_secret():
    import secrets

    return secrets.token_urlsafe(32)


def all_webhook_events():
    return [event.value for event in WebhookEndpoint.Event]


class WebhookEndpoint(models.Model):
    """A URL that receives a signed JSON POST when a release is published, updated or unpublished."""

    class Event(models.TextChoices):
        PUBLISHED = "release.published", _("Release published")
        UPDATED = "release.updated", _("Published release updated")
        UNPUBLISHED = "release.unpublished", _("Release unpublished")

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The receiver needs it to check the signature, so it is stored as it is (not hashed).
    secret = models.CharField(_("signing secret"), max_length=100, default=new_webhook_secret)
    events = models.JSONField(_("events"), default=all_webhook_events)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["url"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self):
        return self.url

    def clean(self):
        try:
            outbound.check_url(self.url)
        except ValidationError as exc:
            raise ValidationError({"url": exc}) from None


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction that caused the event, before any HTTP."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries"
    )
    # Sent as X-Pressroom-Delivery: receivers use it to ignore a delivery they have already handled.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(_("event"), max_length=30, choices=WebhookEndpoint.Event.choices)
    release = models.ForeignKey(
        Release, verbose_name=_("release"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="webhook_deliveries",
    )  # fmt: skip
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id} ({self.status})"


# Beyond the hosted pressrooms (issue 9): press lists and embargoed pre-sends (pressroom/presend.py),
# upcoming releases (pressroom/upcoming.py), corrections (pressroom/corrections.py), press kits
# (pressroom/presskit.py) and aggregate analytics (pressroom/analytics.py).


def new_access_token():
    import secrets

    return secrets.token_urlsafe(32)


class OutboxRow(models.Model):
    """One email to one person, recorded before the provider is called (see pressroom/outbox.py): the
    same claim → hand over → send → write back discipline as the release mailings' ledger."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNCERTAIN = "uncertain", _("Uncertain")
        SKIPPED = "skipped", _("Skipped")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claim = models.UUIDField(null=True, blank=True, db_index=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set just before this one message goes to the provider: a row claimed but not handed over was
    # certainly not sent; one handed over without an answer may have been.
    handed_over_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        abstract = True


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

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("embargoed pre-send")
        verbose_name_plural = _("embargoed pre-sends")

    def __str__(self):
        return f"{self.release} → {self.press_list or '—'}"


class PreSendRecipient(OutboxRow):
    """One journalist's copy of a pre-send, with the personal token that traces their opens."""

    presend = models.ForeignKey(PreSend, on_delete=models.CASCADE, related_name="recipients")
    journalist = models.ForeignKey(
        Journalist, verbose_name=_("journalist"), on_delete=models.CASCADE, related_name="presends"
    )
    token = models.CharField(max_length=64, unique=True, default=new_access_token, editable=False)
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


class CorrectionNotice(OutboxRow):
    """The notice of a correction to one person who received the release. The unique constraint on the
    (lower-cased) address is what makes it once per recipient."""

    correction = models.ForeignKey(Correction, on_delete=models.CASCADE, related_name="notices")
    email = models.EmailField(_("email"), max_length=254)
    subscriber = models.ForeignKey(
        "subscriptions.Subscriber", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    journalist = models.ForeignKey(
        Journalist, null=True, blank=True, on_delete=models.SET_NULL, related_name="correction_notices"
    )

    class Meta:
        verbose_name = _("correction notice")
        verbose_name_plural = _("correction notices")
        constraints = [
            models.UniqueConstraint(
                fields=["correction", "email"], name="correction_notice_once_per_recipient"
            )
        ]

    def __str__(self):
        return f"{self.correction_id} → {self.email} ({self.status})"


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


class ReleaseStat(models.Model):
    """One aggregate count per release, day and metric. Nothing about any visitor is stored."""

    class Metric(models.TextChoices):
        VIEW = "view", _("Page views")
        DOWNLOAD = "download", _("Downloads")
        PRESSKIT = "presskit", _("Press kit downloads")

    release = models.ForeignKey(
        Release, verbose_name=_("release"), on_delete=models.CASCADE, related_name="stats"
    )
    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=10, choices=Metric.choices)
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("statistic")
        verbose_name_plural = _("analytics")
        constraints = [
            models.UniqueConstraint(fields=["release", "day", "metric"], name="release_stat_unique")
        ]
        indexes = [models.Index(fields=["day"], name="release_stat_day")]

    def __str__(self):
        return f"{self.release_id} {self.day} {self.metric}: {self.count}"
