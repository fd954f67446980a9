import hashlib
import logging
import secrets
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pressroom.newsroom import languages as pressroom_languages
from pressroom.newsroom.models import Language, Topic

from . import languages
from .addresses import MAX_LENGTH, normalize_email
from .models import Subscriber

STAMP_SALT = "subscriptions.signup-form-time"

log = logging.getLogger(__name__)


def make_stamp(now=None):
    """A signed form-rendering time: a form sent back sooner than a person can type is from a bot.

    A random part makes every stamp unique, so that a post can be told from its replay (`spend_stamp()`)."""
    moment = int(now if now is not None else time.time())
    return signing.Signer(salt=STAMP_SALT).sign(f"{moment}.{secrets.token_urlsafe(9)}")


def stamp_age(stamp):
    """Seconds since STAMP was made, or None if it is missing or forged."""
    try:
        return time.time() - int(signing.Signer(salt=STAMP_SALT).unsign(stamp).split(".", 1)[0])
    except (signing.BadSignature, ValueError, TypeError):
        return None


def spend_stamp(stamp, email):
    """Use STAMP up for EMAIL: False if it is older than SUBSCRIPTIONS_STAMP_MAX_AGE or was sent with that
    address before (a replayed post).

    Once per address, not once: the box on a public page is cached for a minute, stamp and all, and
    every visitor of that minute must be able to sign up with it at the first press. Used stamps are
    remembered in the cache until they would have expired anyway."""
    age = stamp_age(stamp)
    if age is None or age > settings.SUBSCRIPTIONS_STAMP_MAX_AGE:
        return False
    used = hashlib.sha256(f"{stamp}\0{email.lower()}".encode()).hexdigest()[:32]
    key = f"signup-stamp:{used}"
    try:
        return cache.add(key, 1, timeout=settings.SUBSCRIPTIONS_STAMP_MAX_AGE - int(age) + 1)
    except Exception:
        # Like the rate limits: without the cache, sign-up goes on rather than stopping.
        log.exception("Used sign-up stamps unavailable")
        return True


class EmailAddressField(forms.CharField):
    """An address in the form the list stores it (see addresses.py), with one clear error message."""

    widget = forms.TextInput(
        attrs={
            # Not type=email: some browsers refuse internationalized domains, which the list accepts.
            "inputmode": "email",
            "autocomplete": "email",
            "spellcheck": "false",
            "autocapitalize": "off",
        }
    )

    def __init__(self, **kwargs):
        super().__init__(max_length=MAX_LENGTH * 4, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return ""
        return normalize_email(value)


class TopicsField(forms.TypedMultipleChoiceField):
    """Topics as checkboxes grouped by language; cleans to Topic objects. None chosen means all topics."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(coerce=int, required=False, **kwargs)
        topics = Topic.objects.filter(language__in=pressroom_languages.codes()).order_by("language", "name")
        self.topics = {topic.pk: topic for topic in topics}
        groups = {}
        for topic in self.topics.values():
            groups.setdefault(topic.language, []).append((topic.pk, topic.name))
        labels = dict(Language.choices)
        if len(groups) > 1:
            self.choices = [(labels.get(code, code), choices) for code, choices in groups.items()]
        else:
            self.choices = next(iter(groups.values()), [])

    def clean(self, value):
        return [self.topics[pk] for pk in super().clean(value)]


class PreferencesForm(forms.Form):
    releases = forms.MultipleChoiceField(
        label=_("Press releases in"),
        choices=languages.Releases.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Norwegian: each release once, in your written standard when it is in both."),
        required=False,
    )
    language = forms.ChoiceField(
        label=_("Language of the emails"),
        choices=Language.choices,
        widget=forms.RadioSelect,
        help_text=_("For the text around the releases, and the written standard of a release in both."),
    )
    frequency = forms.ChoiceField(
        label=_("How often"), choices=Subscriber.Frequency.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the languages that have a pressroom (PRESSROOM_LANGUAGES): no "English" with English off.
        self.fields["releases"].choices = languages.offered()
        self.fields["language"].choices = pressroom_languages.choices(Language.choices)
        self.fields["topics"] = TopicsField(
            label=_("Topics"), help_text=_("Choose none to get every press release.")
        )

    def clean_releases(self):
        """None chosen: those of the interface language (the box on every page sends none)."""
        language = self.data.get("language") or current_language()
        return self.cleaned_data["releases"] or languages.default_releases(language)

    def clean(self):
        cleaned = super().clean()
        received = languages.received(cleaned.get("releases") or [])
        if received and any(topic.language not in received for topic in cleaned.get("topics", [])):
            self.add_error(
                "topics", _("Choose topics in the languages of the releases you get, or none for all topics.")
            )
        return cleaned


class SignUpForm(PreferencesForm):
    """The sign-up page's form, also posted by the small box on every page with just an address."""

    email = EmailAddressField(label=_("Email address"))
    # A honeypot: hidden from people by CSS, filled in by bots that fill in every field.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    stamp = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = ["email", "topics", "releases", "language", "frequency", "website", "stamp"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The box on every page sends only the address: language and frequency then take defaults.
        self.fields["language"].required = False
        self.fields["frequency"].required = False
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        if not self.is_bound:
            self.initial.setdefault("language", current_language())
            self.initial.setdefault("releases", languages.default_releases(current_language()))
            self.initial.setdefault("frequency", Subscriber.Frequency.IMMEDIATELY)
            self.initial["stamp"] = make_stamp()

    def looks_automated(self):
        """A filled-in honeypot, or a form sent back without a genuine stamp or too fast to be typed."""
        if self.data.get("website"):
            return True
        age = stamp_age(self.data.get("stamp", ""))
        return age is None or age < settings.SUBSCRIPTIONS_MIN_FORM_SECONDS

    def spend_stamp(self):
        return spend_stamp(self.data.get("stamp", ""), self.cleaned_data["email"])

    def with_fresh_stamp(self):
        """The same form, as posted, with a new stamp (for one more press of the button)."""
        data = self.data.copy()
        data["stamp"] = make_stamp()
        return type(self)(data)

    def clean_language(self):
        return self.cleaned_data["language"] or current_language()

    def clean_frequency(self):
        return self.cleaned_data["frequency"] or Subscriber.Frequency.IMMEDIATELY


def current_language():
    language = (get_language() or "")[:2]
    return language if language in Language.values else Language.NB
