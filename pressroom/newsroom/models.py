from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_prose_editor.fields import ProseEditorField

from . import brand, embeds, languages, pagecache, profile, renditions, uploads
from .richtext import PROSE_EDITOR_EXTENSIONS, sanitize_html
from .text import slugify


class Language(models.TextChoices):
    NB = "nb", _("Norwegian bokmål")
    NN = "nn", _("Norwegian nynorsk")
    EN = "en", _("English")


def upload_changed(field_file, stored_name):
    """Whether FIELD_FILE is a new upload, or another file (or none) than STORED_NAME."""
    return (bool(field_file) and not field_file._committed) or (field_file.name or "") != (stored_name or "")


def replace_renditions(row, field, current, made, base):
    """Store MADE (brand.py's renditions, named after BASE) as FIELD of ROW (a queryset of one) in place
    of CURRENT, and return what is stored. Files nobody refers to any more are deleted once this commits:
    the old ones, or the new ones if the row went meanwhile."""
    stored = renditions.store(made, base) if made else {}
    old, new = set(renditions.stored_names(current)), set(renditions.stored_names(stored))
    updated = row.update(**{field: stored})
    for name in (old - new) if updated else new:
        transaction.on_commit(lambda name=name: default_storage.delete(name))
    pagecache.invalidate_now_and_on_commit()  # an update() sends no signal
    return stored


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
        _("default language"), max_length=2, choices=Language.choices, default=Language.NB,
        help_text=_(
            "The main language: the texts above are in it, and a text not translated into another "
            "language is shown in it."
        ),
    )  # fmt: skip
    signup_text = models.TextField(
        _("sign-up box text"), blank=True,
        help_text=_("What the sign-up box under the releases says. Blank: a standard text."),
    )  # fmt: skip
    email_footer = models.TextField(
        _("email footer"), blank=True,
        help_text=_("A few lines at the end of every email, such as the postal address. Plain text."),
    )  # fmt: skip
    accent_color = models.CharField(
        _("accent colour"), max_length=7, blank=True,
        validators=[RegexValidator(brand.STORED, _("Enter the colour as # and six hex digits."))],
        help_text=_(
            "A hex colour such as #0b57a4, for the band of the page header and of emails. Links and "
            "buttons use a darker shade of it if it is too light to read on white."
        ),
    )  # fmt: skip
    cover = models.ImageField(_("cover image"), upload_to="newsroom/", blank=True)
    cover_alt_text = models.CharField(
        _("cover image alt text"), max_length=300, blank=True,
        help_text=_(
            "Describes the cover image for people who cannot see it. Leave empty if it is decoration."
        ),
    )  # fmt: skip
    # The logo's and the cover's renditions (brand.py), made by the worker: {name: {"file", "webp"?,
    # "width", "height"}}.
    brand_images = models.JSONField(default=dict, blank=True, editable=False)

    # The uploads whose change makes brand_images again.
    BRAND_UPLOADS = ("logo", "cover")

    class Meta:
        verbose_name = _("newsroom profile")
        verbose_name_plural = _("newsroom profile")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        self.about = sanitize_html(self.about)
        self.accent_color = brand.normalize(self.accent_color) if self.accent_color else ""
        stored = Newsroom.objects.filter(pk=1).values(*self.BRAND_UPLOADS).first() or {}
        # Read by tasks.queue_brand_images (post_save): the worker makes them once this commits.
        self.brand_images_due = any(
            upload_changed(getattr(self, name), stored.get(name)) for name in self.BRAND_UPLOADS
        )
        super().save(*args, **kwargs)

    @classmethod
    def load(cls, prefetch=()):
        newsroom = cls.objects.prefetch_related(*prefetch).filter(pk=1).first()
        return newsroom or cls(pk=1, name="Pressroom")

    def make_brand_images(self):
        """Make the logo's and the cover's renditions (brand.py) and keep them; the worker calls this
        (tasks.make_brand_images), never a request."""
        made = {}
        for name, make in (("logo", brand.logo_renditions), ("cover", brand.cover_renditions)):
            upload = getattr(self, name)
            if upload:
                with upload.open("rb") as source:
                    made.update(make(source))
        self.brand_images = replace_renditions(
            Newsroom.objects.filter(pk=self.pk), "brand_images", self.brand_images, made, "brand"
        )

    @cached_property
    def palette(self):
        return brand.palette(self.accent_color)

    def brand_image_url(self, name):
        return reverse("pressroom:brand_image", kwargs={"name": name})

    def _picture(self, name, scale=2):
        """Rendition NAME as shown: made at SCALE times the size it is shown at (rounded up)."""
        entry = self.brand_images.get(name)
        if not entry:
            return None
        width, height = -(-entry["width"] // scale), -(-entry["height"] // scale)
        return brand.Picture(self.brand_image_url(name), width, height)

    @property
    def header_logo(self):
        """The logo in the page header: its rendition, or the upload itself until the worker made it."""
        if not self.logo:
            return None
        upload = brand.Picture(reverse("pressroom:newsroom_logo"), 0, brand.LOGO_HEIGHT)
        return self._picture("logo") or upload

    @property
    def email_logo(self):
        """The logo in emails (absolute address, the size shown), once the worker has made it."""
        picture = self.logo and self._picture("logo-email")
        if not picture:
            return None
        return brand.Picture(settings.SITE_URL + picture.url, picture.width, picture.height)

    @property
    def icons(self):
        """{"small": favicon URL, "touch": touch icon URL} made from the logo, or {}."""
        made = self.brand_images
        return {use: self.brand_image_url(name) for name, use in brand.ICON_USES.items() if name in made}

    @property
    def cover_picture(self):
        """The cover as the home page shows it: the largest width's size and the srcsets, or None."""
        widths = [name for name in brand.COVER_WIDTHS if name in self.brand_images]
        if not self.cover or not widths:
            return None

        def srcset(image_format=""):
            candidates = {}
            for name in widths:
                url = self.brand_image_url(f"{name}.{image_format}" if image_format else name)
                candidates.setdefault(self.brand_images[name]["width"], url)
            return ", ".join(f"{url} {width}w" for width, url in sorted(candidates.items()))

        largest = self.brand_images[widths[-1]]
        return brand.Picture(
            self.brand_image_url(widths[0]), largest["width"], largest["height"],
            srcset=srcset(), srcset_webp=srcset(renditions.WEBP),
        )  # fmt: skip

    def in_language(self, language=None):
        """The newsroom as the public reads it in LANGUAGE (the active one by default): see profile.py."""
        return profile.NewsroomText(self, language or translation.get_language())


class NewsroomTranslation(models.Model):
    """The newsroom's texts in a language other than its main one. A blank text falls back to the main
    language's (profile.py)."""

    newsroom = models.ForeignKey(Newsroom, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    tagline = models.CharField(_("tagline"), max_length=300, blank=True)
    about = ProseEditorField(
        _("about us"), config={"extensions": PROSE_EDITOR_EXTENSIONS}, sanitize=sanitize_html, blank=True
    )
    signup_text = models.TextField(_("sign-up box text"), blank=True)
    email_footer = models.TextField(_("email footer"), blank=True)

    class Meta:
        ordering = ["language"]
        verbose_name = _("translation of the profile")
        verbose_name_plural = _("translations of the profile")
        constraints = [
            models.UniqueConstraint(fields=["newsroom", "language"], name="newsroom_translation_unique")
        ]

    def __str__(self):
        return self.get_language_display()

    def save(self, *args, **kwargs):
        self.about = sanitize_html(self.about)
        super().save(*args, **kwargs)


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
        # A topic lives in its language's pressroom (/nn/topics/...), whatever the reader's language.
        return languages.reverse_in(self.language, "pressroom:topic", kwargs={"slug": self.slug})


class Contact(models.Model):
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    photo = models.ImageField(_("photo"), upload_to="contacts/", blank=True)
    # The photo's square rendition (brand.photo_renditions), made by the worker.
    photo_renditions = models.JSONField(default=dict, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("press contact")
        verbose_name_plural = _("press contacts")

    def __str__(self):
        return f"{self.name} ({self.role})" if self.role else self.name

    def save(self, *args, **kwargs):
        stored = self.pk and Contact.objects.filter(pk=self.pk).values_list("photo", flat=True).first()
        # Read by tasks.queue_contact_photo (post_save): the worker makes it once this commits.
        self.photo_due = upload_changed(self.photo, stored)
        super().save(*args, **kwargs)

    def make_photo_renditions(self):
        """Make the photo's square rendition and keep it; the worker calls this (tasks.make_contact_photo)."""
        made = {}
        if self.photo:
            with self.photo.open("rb") as source:
                made = brand.photo_renditions(source)
        self.photo_renditions = replace_renditions(
            Contact.objects.filter(pk=self.pk), "photo_renditions", self.photo_renditions, made, "photo"
        )

    @property
    def photo_picture(self):
        """The photo as a contact card shows it: the square rendition, or the upload until it is made."""
        if not self.photo:
            return None
        size = brand.PHOTO_SIZE
        if brand.PHOTO_NAME not in self.photo_renditions:
            return brand.Picture(reverse("pressroom:contact_photo", kwargs={"pk": self.pk}), size, size)

        def url(name):
            return reverse("pressroom:contact_photo_rendition", kwargs={"pk": self.pk, "name": name})

        has_webp = renditions.WEBP in self.photo_renditions[brand.PHOTO_NAME]
        webp = url(f"{brand.PHOTO_NAME}.{renditions.WEBP}") if has_webp else ""
        return brand.Picture(url(brand.PHOTO_NAME), size, size, srcset_webp=webp)

    def get_vcard_url(self):
        return reverse("pressroom:contact_vcard", kwargs={"pk": self.pk})


class ContactTranslation(models.Model):
    """A press contact's title in a language other than the newsroom's main one (profile.py)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    role = models.CharField(_("role"), max_length=200, blank=True)

    class Meta:
        ordering = ["language"]
        verbose_name = _("translated title")
        verbose_name_plural = _("translated titles")
        constraints = [
            models.UniqueConstraint(fields=["contact", "language"], name="contact_translation_unique")
        ]

    def __str__(self):
        return self.get_language_display()


class TranslationGroup(models.Model):
    """The versions of one release in different languages: at most one per language."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("translation group")
        verbose_name_plural = _("translation groups")

    def __str__(self):
        return str(self.pk)


class ReleaseQuerySet(models.QuerySet):
    def published(self, now=None):
        """The publication rule: what the public may see. Every public surface uses this."""
        return self.filter(status__in=Release.PUBLIC_STATUSES, published_at__lte=now or timezone.now())

    def in_pressroom_languages(self):
        """The releases of the languages that have a pressroom (settings.LANGUAGES). A language may be
        switched off (PRESSROOM_LANGUAGES): its releases stay in the admin but no public list shows them.
        A dimension of its own, beside the publication rule, not part of it."""
        return self.filter(language__in=[code for code, _name in settings.LANGUAGES])

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
    translation_group = models.ForeignKey(
        TranslationGroup, verbose_name=_("translation group"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="releases",
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
    # Who last changed the content, and who approved it since (services.record_edit clears the approval).
    # The four-eyes rule (REVIEW_FOUR_EYES) wants an approval by someone else before publishing.
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("last edited by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )  # fmt: skip
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )  # fmt: skip
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        # Beyond add/change: publishing (publish, schedule, unpublish, send to the press, correction
        # notices) and approving are rights of their own (roles in pressroom/workspace/roles.py).
        permissions = [
            ("publish_release", _("Can publish, schedule and unpublish releases")),
            ("approve_release", _("Can approve releases")),
        ]
        indexes = [models.Index(fields=["status", "published_at"], name="release_status_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="release_scheduled_has_time",
            ),
            models.UniqueConstraint(
                fields=["translation_group", "language"], name="release_one_version_per_language"
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body = sanitize_html(self.body)
        if not self.slug:
            self.slug = self.unique_slug()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        # A release lives in its language's pressroom: /releases/... for the default language,
        # /nn/releases/... and /en/releases/... for the others.
        return languages.reverse_in(self.language, "pressroom:release", kwargs={"slug": self.slug})

    def other_versions(self):
        """The other versions of this release (any status: callers add the publication rule)."""
        if self.translation_group_id is None:
            return Release.objects.none()
        return Release.objects.filter(translation_group=self.translation_group_id).exclude(pk=self.pk)

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
    def is_approved(self):
        """Approved since its last edit, by someone other than its last editor."""
        return self.approved_at is not None and (
            self.approved_by_id is None or self.approved_by_id != self.last_edited_by_id
        )

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
    def videos(self):
        return [a for a in self.attachments.all() if a.kind == Attachment.Kind.VIDEO]

    def videos_without_captions(self):
        """The uploaded videos that have no captions yet: a release with one is not published (universal
        design: a video is public only with captions)."""
        return [video for video in self.videos if not video.captions]

    @property
    def header_image(self):
        """The first image attachment, in the editors' order."""
        images = self.images
        return images[0] if images else None


class SearchWord(models.Model):
    """A word of some release, for "did you mean" (pressroom/newsroom/search.py). Words of drafts too:
    a correction is offered only when it finds published releases."""

    word = models.CharField(max_length=40, unique=True)

    def __str__(self):
        return self.word


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


class AttachmentQuerySet(models.QuerySet):
    def public(self):
        """Attachments the public may see: those of releases the publication rule lets through. An asset
        used by several releases is public as soon as one of them is."""
        return self.filter(release__in=Release.objects.published())

    def of_kind(self, kind):
        """Attachments of KIND, a string: a kind this version does not know (yet) finds none."""
        return self.filter(kind=kind)


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        DOCUMENT = "document", _("Document")
        VIDEO = "video", _("Video")

    class Thumbnail(models.TextChoices):
        CONTAIN = "contain", _("Show the whole image (never cropped)")
        CROP = "crop", _("Crop to fill the frame, around the focal point")

    # Universal design: a video is public only with captions (services.MissingCaptions, and the forms
    # that add videos to a release that is published or scheduled).
    CAPTIONS_REQUIRED = _(
        "Add the captions (a WebVTT file) before the release is published: a video is public only with "
        "captions."
    )

    # What the editor decides about the thumbnail; a change makes the renditions again.
    THUMBNAIL_FIELDS = ("thumbnail", "focal_x", "focal_y")

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
    # GDPR: a picture or video of people who can be recognised is published only with their consent,
    # recorded here for the newsroom (who consented, how and when); the public sees only that it was given.
    people_shown = models.BooleanField(
        _("people can be recognised"), default=False,
        help_text=_("Tick if the image or video shows people who can be recognised."),
    )  # fmt: skip
    consent = models.TextField(
        _("consent"), blank=True,
        help_text=_(
            "Who consented to its use, how and when (for example a signed form of 3 May 2026). Kept in the "
            "newsroom: the public sees only that consent was given."
        ),
    )  # fmt: skip
    content_type = models.CharField(_("type"), max_length=100, editable=False)
    # The SHA-256 of the uploaded bytes: an upload identical to a stored one reuses that file (and its
    # renditions) instead of storing a copy, and the media bank lists each such asset once.
    sha256 = models.CharField(_("content hash"), max_length=64, blank=True, db_index=True, editable=False)
    size = models.PositiveBigIntegerField(_("size"), default=0, editable=False)
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    web = models.ImageField(upload_to=uploads.rendition_upload_to, blank=True, editable=False)
    thumb = models.ImageField(upload_to=uploads.rendition_upload_to, blank=True, editable=False)
    thumbnail = models.CharField(
        _("thumbnail"), max_length=10, choices=Thumbnail.choices, default=Thumbnail.CONTAIN,
        help_text=_("Charts, maps and logos should be shown whole. Photos may be cropped."),
    )  # fmt: skip
    focal_x = models.FloatField(
        _("focal point, across"), default=0.5, validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("From 0 (left edge) to 1 (right edge). A cropped thumbnail keeps this point."),
    )  # fmt: skip
    focal_y = models.FloatField(
        _("focal point, down"), default=0.5, validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("From 0 (top edge) to 1 (bottom edge)."),
    )  # fmt: skip
    # A video's captions (WebVTT, required before its release is published) and poster image, whose
    # renditions are the video's (made from the poster as an image's are from the image).
    captions = models.FileField(
        _("captions (WebVTT)"), upload_to=uploads.upload_to, max_length=300, blank=True,
        help_text=_(
            "Videos only: a WebVTT file with the captions. Required before the release is published."
        ),
    )  # fmt: skip
    captions_language = models.CharField(
        _("captions language"), max_length=2, choices=Language.choices, blank=True,
        help_text=_("Empty: the language of the release."),
    )  # fmt: skip
    poster = models.FileField(
        _("poster image"), upload_to=uploads.upload_to, max_length=300, blank=True,
        help_text=_("Videos only: the image shown before the video plays, and in emails."),
    )  # fmt: skip
    # Every rendition the worker made: {name: {"file", "webp" (page sizes), "width", "height"}}.
    renditions = models.JSONField(default=dict, blank=True, editable=False)
    order = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("image or document")
        verbose_name_plural = _("images and documents")

    def __str__(self):
        return self.title or self.filename

    def save(self, *args, **kwargs):
        new_file = self.file and not self.file._committed
        new_captions = self.captions and not self.captions._committed
        new_poster = self.poster and not self.poster._committed
        if (new_file and not self.content_type) or new_captions or new_poster:
            self.full_clean(exclude=["release"])
        reused = new_file and self.reuse_stored_copy()
        # Read by tasks.queue_renditions (post_save): the worker makes them once this commits.
        if self.kind == self.Kind.VIDEO:
            self.renditions_due = new_poster or self.stored_value("poster") not in (None, self.poster.name)
        else:
            self.renditions_due = self.kind == self.Kind.IMAGE and (
                (new_file and not reused) or self.thumbnail_changed()
            )
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("pressroom:attachment", kwargs={"pk": self.pk, "filename": self.filename})

    def stored_copy(self):
        """Another attachment whose file has the same content as this one, its file still stored."""
        if not self.sha256:
            return None
        for other in Attachment.objects.filter(sha256=self.sha256).exclude(pk=self.pk).order_by("pk"):
            if other.file and default_storage.exists(other.file.name):
                return other
        return None

    def reuse_stored_copy(self):
        """Point this new upload at the stored file of the same content instead of writing a copy; take
        that file's renditions too when they would come out the same (same thumbnail choice and credit).
        True if the renditions were taken."""
        other = self.stored_copy()
        if other is None:
            return False
        self.file = other.file.name
        self.content_type, self.size, self.width, self.height = (
            other.content_type,
            other.size,
            other.width,
            other.height,
        )
        same = all(getattr(self, name) == getattr(other, name) for name in (*self.THUMBNAIL_FIELDS, "credit"))
        # A video's renditions are made from its own poster, never from the file it shares.
        if not (same and other.renditions) or self.kind != self.Kind.IMAGE:
            return False
        self.take_renditions(other)
        return True

    def take_renditions(self, other):
        self.renditions = other.renditions
        self.web.name, self.thumb.name = other.web.name, other.thumb.name

    def stored_names(self):
        """Every file in storage this attachment refers to: the original and its renditions."""
        names = {self.file.name, self.web.name, self.thumb.name, *renditions.stored_names(self.renditions)}
        return {name for name in names if name}

    def names_used_elsewhere(self):
        """The files of this attachment that another attachment refers to as well (only attachments of
        the same content share files)."""
        if not self.sha256:
            return set()
        others = Attachment.objects.filter(sha256=self.sha256).exclude(pk=self.pk)
        return {name for other in others for name in other.stored_names()} & self.stored_names()

    @classmethod
    def from_asset(cls, asset, *, release, order=0):
        """A new attachment of RELEASE for the stored ASSET (another attachment): the same file and
        renditions, its title, caption, alt text, credit, licence and the consent of the people shown.
        Not saved."""
        attachment = cls(
            release=release, file=asset.file.name, kind=asset.kind, sha256=asset.sha256,
            content_type=asset.content_type, size=asset.size, width=asset.width, height=asset.height,
            title=asset.title, caption=asset.caption, alt_text=asset.alt_text, credit=asset.credit,
            licence=asset.licence, people_shown=asset.people_shown, consent=asset.consent,
            thumbnail=asset.thumbnail, focal_x=asset.focal_x, focal_y=asset.focal_y, order=order,
        )  # fmt: skip
        attachment.take_renditions(asset)
        return attachment

    @property
    def filename(self):
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""

    @property
    def media_slug(self):
        return slugify(self.title or self.filename.rsplit(".", 1)[0])[:80] or "asset"

    def get_media_url(self, language=None):
        """The asset's own page in the media bank, in LANGUAGE's pressroom (the current one if None)."""
        with translation.override(language or translation.get_language()):
            return reverse("pressroom:asset", kwargs={"pk": self.pk, "slug": self.media_slug})

    @property
    def is_image(self):
        return self.kind == self.Kind.IMAGE

    @property
    def is_video(self):
        return self.kind == self.Kind.VIDEO

    @property
    def captions_url(self):
        if not (self.is_video and self.captions):
            return ""
        return reverse("pressroom:captions", kwargs={"pk": self.pk, "filename": self.captions_filename})

    @property
    def captions_filename(self):
        return self.captions.name.rsplit("/", 1)[-1] if self.captions else ""

    @property
    def captions_srclang(self):
        return self.captions_language or self.release.language

    @property
    def captions_label(self):
        """The captions' language as the video player lists it, in that language ("Norsk (bokmål)")."""
        return translation.get_language_info(self.captions_srclang)["name_local"].capitalize()

    @property
    def poster_url(self):
        """The poster's page rendition (made by the worker), or "" until there is one."""
        return self.get_rendition_url("web") if self.is_video and self.web else ""

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
            self.sha256 = uploads.content_hash(upload)
        errors = {}
        if self.kind == self.Kind.IMAGE and not self.alt_text.strip():
            errors["alt_text"] = _("Images need an alt text.")
        if self.people_shown and not self.consent.strip():
            errors["consent"] = _(
                "Record the consent of the people shown (who, how and when) before the file is used."
            )
        if self.kind == self.Kind.VIDEO:
            errors |= self.clean_video_files()
        else:
            for name in ("captions", "poster"):
                if getattr(self, name):
                    errors[name] = _("Only videos have captions and a poster image.")
        if errors:
            raise ValidationError(errors)

    def clean_video_files(self):
        """Check a video's newly uploaded captions (WebVTT) and poster (an image, by the image rules) and
        give them safe names; {field: messages} of what is refused."""
        errors = {}
        for name, check in (("captions", uploads.check_captions), ("poster", uploads.check_poster)):
            field_file = getattr(self, name)
            if field_file and not field_file._committed:
                try:
                    extension = check(field_file.file)
                except ValidationError as exc:
                    errors[name] = exc.messages
                else:
                    field_file.name = uploads.safe_filename(field_file.name, extension)
        return errors

    def stored_value(self, name):
        """The value of field NAME as the database has it; None for a new row."""
        if self.pk is None:
            return None
        return Attachment.objects.filter(pk=self.pk).values_list(name, flat=True).first()

    def thumbnail_changed(self):
        if self.pk is None:
            return False
        stored = Attachment.objects.filter(pk=self.pk).values(*self.THUMBNAIL_FIELDS).first()
        return stored is not None and stored != {name: getattr(self, name) for name in self.THUMBNAIL_FIELDS}

    def make_renditions(self):
        """Make every rendition from the original (renditions.py) and keep them; the worker calls this
        (tasks.make_renditions), never a request."""
        # A video's renditions are its poster's; a video without a poster has none.
        original = self.poster if self.is_video else self.file
        stored = {}
        if original:
            with original.open("rb") as source:
                made = renditions.make_all(
                    source,
                    crop=self.thumbnail == self.Thumbnail.CROP,
                    focal=(self.focal_x, self.focal_y),
                    credit=self.credit,
                )
            stored = renditions.store(made, self.filename.rsplit(".", 1)[0])
        # Renditions taken from another upload of the same file stay as long as that one uses them.
        old = {*renditions.stored_names(self.renditions), self.web.name, self.thumb.name}
        old -= self.names_used_elsewhere()
        new = renditions.stored_names(stored)
        self.renditions = stored
        self.web.name = stored.get("web", {}).get("file", "")
        self.thumb.name = stored.get("thumb", {}).get("file", "")
        updated = Attachment.objects.filter(pk=self.pk).update(
            renditions=stored, web=self.web.name, thumb=self.thumb.name
        )
        # Files nobody refers to any more: the old ones, or the new ones if the row went meanwhile.
        for name in (old - set(new)) if updated else new:
            if name:
                transaction.on_commit(lambda name=name: default_storage.delete(name))
        pagecache.invalidate_now_and_on_commit()  # an update() sends no signal

    def original_without_location(self):
        """(storage name, download name) of this image at full size with its location stripped: the
        "original" rendition, named as the upload (with the rendition's extension). None until made."""
        entry = self.rendition("original") if self.is_image else None
        if not entry or not default_storage.exists(entry["file"]):
            return None
        extension = entry["file"].rsplit(".", 1)[-1]
        return entry["file"], f"{self.filename.rsplit('.', 1)[0]}.{extension}"

    def get_rendition_url(self, name="web"):
        if not (self.is_image or self.is_video):
            return ""
        return reverse("pressroom:rendition", kwargs={"pk": self.pk, "name": name})

    def rendition(self, name):
        """The stored entry of rendition NAME ({"file", "width", "height", "webp"?}), or None. Images
        made before the named sizes have their web and thumb renditions only."""
        entry = self.renditions.get(name)
        if entry is None and name in ("web", "thumb") and getattr(self, name):
            entry = {"file": getattr(self, name).name}
        return entry

    def srcset(self, image_format=None):
        """The page renditions as a srcset, each width once (a small image is not enlarged)."""
        candidates = {}
        for name in renditions.PAGE_WIDTHS:
            entry = self.renditions.get(name)
            if entry and (image_format is None or image_format in entry):
                url = self.get_rendition_url(f"{name}.{image_format}" if image_format else name)
                candidates.setdefault(entry["width"], url)
        return ", ".join(f"{url} {width}w" for width, url in sorted(candidates.items()))

    @property
    def srcset_jpeg(self):
        return self.srcset()

    @property
    def srcset_webp(self):
        return self.srcset(renditions.WEBP)

    @property
    def thumb_webp_url(self):
        has_webp = renditions.WEBP in self.renditions.get("thumb", {})
        return self.get_rendition_url(f"thumb.{renditions.WEBP}") if has_webp else ""

    @property
    def downloads(self):
        """(size, URL, width, height) of each download that has been made, smallest first."""
        return [
            (size, reverse("pressroom:image_download", kwargs={"pk": self.pk, "size": size}),
             self.renditions[size]["width"], self.renditions[size]["height"])
            for size in renditions.DOWNLOADS
            if size in self.renditions
        ]  # fmt: skip


class VideoLink(models.Model):
    """A YouTube or Vimeo video in a release, shown as a click-to-load embed (embeds.py): stored as the
    provider and the video's id, never as an address of the editor's."""

    class Provider(models.TextChoices):
        YOUTUBE = embeds.YOUTUBE, "YouTube"
        VIMEO = embeds.VIMEO, "Vimeo"

    release = models.ForeignKey(
        Release, verbose_name=_("release"), on_delete=models.CASCADE, related_name="video_links"
    )
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices, editable=False)
    video_id = models.CharField(_("video id"), max_length=20, editable=False)
    title = models.CharField(
        _("title"), max_length=200,
        help_text=_("Shown before the video is loaded, and read out by screen readers."),
    )  # fmt: skip
    order = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("video link")
        verbose_name_plural = _("video links (YouTube, Vimeo)")

    def __str__(self):
        return self.title

    def clean(self):
        embeds.check(self.provider, self.video_id)

    @property
    def watch_url(self):
        return embeds.watch_url(self.provider, self.video_id)

    @property
    def embed_url(self):
        return embeds.embed_url(self.provider, self.video_id)
