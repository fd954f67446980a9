"""Forms for the editors' admin, and the search page's filters."""

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import brand, embeds, languages, uploads
from .models import Newsroom, Release, VideoLink
from .services import set_version_of

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class PressroomLanguagesForm(forms.ModelForm):
    """A model form whose language fields offer the languages that have a pressroom (settings.LANGUAGES,
    PRESSROOM_LANGUAGES), and the language the row already has: a row in a language switched off stays
    readable in the admin, and saving it does not move it to another language."""

    language_fields = ("language",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.language_fields:
            if name in self.fields:
                keep = getattr(self.instance, name) if self.instance.pk else None
                self.fields[name].choices = languages.choices(self.fields[name].choices, keep=keep)


class ImageUploadField(forms.FileField):
    """An image upload under the rules of every upload (uploads.detect: the type from the content, the
    size limit, no SVG, a bounded decode): JPEG, PNG, WebP or GIF."""

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        if uploads.detect(upload).kind != "image":
            raise forms.ValidationError(_("Upload an image: JPEG, PNG, WebP or GIF."), code="not_image")
        return upload


class NewsroomAdminForm(PressroomLanguagesForm):
    language_fields = ("default_language",)

    # Longer than what is stored (#rrggbb): "#ABC " or "rgb(…)" gets the message below, not one on length.
    accent_color = forms.CharField(
        label=capfirst(Newsroom._meta.get_field("accent_color").verbose_name),
        help_text=Newsroom._meta.get_field("accent_color").help_text,
        required=False,
        max_length=50,
    )

    class Meta:
        model = Newsroom
        fields = ["name", "tagline", "about", "signup_text", "email_footer", "website", "email", "phone",
                  "default_language", "logo", "accent_color", "cover", "cover_alt_text"]  # fmt: skip

    def clean_accent_color(self):
        value = self.cleaned_data["accent_color"].strip()
        if not value:
            return ""
        try:
            return brand.normalize(value)
        except ValueError:
            raise forms.ValidationError(
                _("Enter the colour as a hex code: # and six digits 0–9 or letters a–f, such as #0b57a4."),
                code="invalid",
            ) from None


class ReleaseAdminForm(PressroomLanguagesForm):
    """The release form. Status and publish time are not on it: they change only through the
    publish, schedule and unpublish buttons, which call the services.

    `translation_of` makes the release a version of another one (they share a translation group, at
    most one version per language); empty takes it out of its group. The admin names the other release
    by its address (slug); the editors' API by its id."""

    translation_of = forms.ModelChoiceField(
        queryset=Release.objects.all(),
        to_field_name="slug",
        required=False,
        label=_("Version of"),
        help_text=_(
            "The address (slug) of a release in another language that this one is a version of. Empty: "
            "a release of its own."
        ),
        widget=forms.TextInput,
    )

    class Meta:
        model = Release
        fields = ["title", "slug", "kind", "language", "lead", "body", "topics"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "translation_of" not in self.initial:
            other = self.instance.other_versions().order_by("pk").first()
            if other is not None:
                self.initial["translation_of"] = getattr(
                    other, self.fields["translation_of"].to_field_name or "pk"
                )

    def clean(self):
        cleaned_data = super().clean()
        original = cleaned_data.get("translation_of")
        language = cleaned_data.get("language")
        if original is None:
            return cleaned_data
        if self.instance.pk and original.pk == self.instance.pk:
            self.add_error(
                "translation_of",
                forms.ValidationError(_("A release cannot be a translation of itself."), code="self"),
            )
        elif original.language == language:
            self.add_error(
                "translation_of",
                forms.ValidationError(_("The original must be in another language."), code="language"),
            )
        elif (
            original.translation_group_id is not None
            and Release.objects.filter(translation_group=original.translation_group_id, language=language)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error(
                "translation_of",
                forms.ValidationError(
                    _("“%(title)s” already has a version in this language.") % {"title": original.title},
                    code="unique",
                ),
            )
        return cleaned_data

    def save(self, commit=True):
        set_version_of(release=self.instance, original=self.cleaned_data.get("translation_of"))
        return super().save(commit=commit)


class VideoLinkForm(forms.ModelForm):
    """A YouTube or Vimeo video by its address; only the provider and the video's id are kept."""

    url = forms.CharField(
        label=_("Video address"),
        max_length=embeds.MAX_URL_LENGTH,
        help_text=_("https://www.youtube.com/watch?v=…, https://youtu.be/… or https://vimeo.com/…"),
    )

    class Meta:
        model = VideoLink
        fields = ["url", "title", "order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "url" not in self.initial:
            self.initial["url"] = self.instance.watch_url

    def clean_url(self):
        video = embeds.parse(self.cleaned_data["url"])
        self.instance.provider, self.instance.video_id = video.provider, video.video_id
        return self.instance.watch_url


class ScheduleForm(forms.Form):
    """When to publish, in the newsroom's time zone (Europe/Oslo unless TIME_ZONE says otherwise)."""

    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        input_formats=[DATETIME_LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL_FORMAT),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publish_at"].help_text = _("Date and time in %(zone)s.") % {
            "zone": timezone.get_current_timezone_name()
        }

    def clean_publish_at(self):
        # The field has already read the naive input in the current time zone (the site's TIME_ZONE).
        value = self.cleaned_data["publish_at"]
        if value <= timezone.now():
            raise forms.ValidationError(
                _("Choose a time in the future. To publish at once, use “Publish now”."), code="past"
            )
        return value


class ReleaseFilterForm(forms.Form):
    """Filters by the topic and year of public releases (the media page's). A value that is not one of
    the choices is left out, not an error."""

    topic = forms.TypedChoiceField(label=_("Topic"), required=False, coerce=int, empty_value=None)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)

    def __init__(self, data, *, topics, years):
        """TOPICS and YEARS: those with public releases (read once, for the choices and the check)."""
        super().__init__(data)
        self.fields["topic"].choices = [("", _("All topics")), *((topic.pk, topic.name) for topic in topics)]
        self.fields["year"].choices = [("", _("All years")), *((year, year) for year in years)]

    def filters(self):
        """{field: value} of the filters given and valid."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class SearchFilterForm(ReleaseFilterForm):
    """The search page's filters: the kind of release too."""

    field_order = ["kind", "topic", "year"]

    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Release.Kind.choices]
    )
