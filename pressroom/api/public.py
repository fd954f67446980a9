"""The public read API: releases, topics, contacts and the newsroom profile, exactly as the public pages
show them. Every release comes from `Release.objects.published()`."""

from datetime import UTC, datetime
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core import validators
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pressroom.newsroom import languages, search
from pressroom.newsroom.models import Contact, Language, Newsroom, Release
from pressroom.newsroom.views import absolute, public_topics

from . import formschema, representations
from .cursors import decode_cursor, encode_cursor
from .http import ApiError, json_response, not_found, public_endpoint

MAX_LIMIT = 100


class QueryForm(forms.Form):
    """Query parameters. A parameter sent empty (or blank) is an error, whatever it is: `?kind=` is not a
    kind and `?q=` is no search, so a client that meant to filter learns that it did not."""

    def clean(self):
        for name in self.fields:
            value = self.data.get(name)
            if value is not None and not value.strip(formschema.WHITE_SPACE):
                self.add_error(
                    name, forms.ValidationError(_("Leave the parameter out rather than empty."), "empty")
                )
        return self.cleaned_data


def form_errors(form):
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


class CursorField(forms.CharField):
    default_error_messages = {"invalid": gettext_lazy("This cursor is not valid; use the `next` link.")}

    def __init__(self, *, parts, openapi_format, **kwargs):
        self.parts = parts  # one function per value in the cursor, to parse it
        # The document names the cursor's format, so that schemathesis can make valid ones
        # (tests/apicheck/hooks.py); clients copy the cursor from the `next` link.
        self.openapi_format = openapi_format
        kwargs.setdefault("help_text", "Opaque: copy it from the `next` link of the previous page.")
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            values = decode_cursor(value)
            if len(values) != len(self.parts):
                raise ValueError(value)
            return tuple(parse(item) for parse, item in zip(self.parts, values, strict=True))
        except (ValueError, OverflowError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


def aware_datetime(value):
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(value)
    return parsed.astimezone(UTC)  # OverflowError here rather than in the database


class QueryTextField(forms.CharField):
    """Free text in a query. Its rules (length, not blank) apply to the text as sent, which is what the
    document states; NUL characters are dropped only then, as PostgreSQL refuses them in a query and
    nobody means them."""

    def __init__(self, **kwargs):
        super().__init__(required=False, strip=False, **kwargs)
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, validators.ProhibitNullCharactersValidator)
        ]

    def clean(self, value):
        return super().clean(value).replace("\x00", "")


class ReleaseFilterForm(QueryForm):
    """The public list's filters. The OpenAPI document describes its query parameters from these fields,
    their validators and help texts (pressroom/api/formschema.py)."""

    topic = QueryTextField(max_length=100, help_text="A topic's slug.")
    kind = forms.ChoiceField(required=False, choices=Release.Kind.choices, help_text="The kind of release.")
    language = forms.ChoiceField(
        required=False, choices=Language.choices, help_text="The release's language."
    )
    year = forms.IntegerField(required=False, min_value=1900, max_value=9000, help_text="The year published.")
    q = QueryTextField(
        help_text="Words to search for in title, lead, body, captions and contact names (the first 200 "
        "characters count)."
    )
    limit = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_LIMIT, help_text="Releases per page (default 20)."
    )
    cursor = CursorField(parts=(aware_datetime, int), openapi_format="release-cursor")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A language switched off (PRESSROOM_LANGUAGES) is no choice: asked for, it is a 400.
        self.fields["language"].choices = [("", "---------"), *languages.choices(Language.choices)]

    def clean_q(self):
        return self.cleaned_data["q"][:200]


@public_endpoint
def releases(request):
    form = ReleaseFilterForm(request.GET)
    if not form.is_valid():
        raise ApiError(400, form_errors(form))
    params = form.cleaned_data
    queryset = Release.objects.published().in_pressroom_languages()
    if params["topic"]:
        queryset = queryset.filter(
            pk__in=Release.topics.through.objects.filter(topic__slug=params["topic"]).values("release_id")
        )
    if params["kind"]:
        queryset = queryset.filter(kind=params["kind"])
    if params["language"]:
        queryset = queryset.filter(language=params["language"])
    if params["year"]:
        queryset = queryset.filter(published_at__year=params["year"])
    searched = bool(params["q"].strip())
    if searched:
        queryset = search.matches(queryset, params["q"], params["language"] or None)
    # Newest first, whatever the search's own ranking: the cursor depends on this order.
    queryset = queryset.order_by("-published_at", "-pk")
    if params["cursor"]:
        published_at, pk = params["cursor"]
        queryset = queryset.filter(Q(published_at__lt=published_at) | Q(published_at=published_at, pk__lt=pk))

    limit = params["limit"] or settings.API_PAGE_SIZE
    if searched:
        # The newest matches as the search page finds them (a walk in bounded time, else the index).
        pks = search.newest_first(queryset.values_list("pk", flat=True), limit + 1)
        found = {
            release.pk: release for release in representations.with_public_data(queryset.filter(pk__in=pks))
        }
        page = [found[pk] for pk in pks if pk in found]
    else:
        page = list(representations.with_public_data(queryset)[: limit + 1])
    more, page = len(page) > limit, page[:limit]
    translations = representations.public_translations(page)
    profile = Newsroom.load()
    next_url = None
    if more:
        last = page[-1]
        query = {key: value for key, value in request.GET.items() if key != "cursor"}
        query["cursor"] = encode_cursor(last.published_at.isoformat(), last.pk)
        next_url = absolute(reverse("pressroom:api:releases") + "?" + urlencode(query))
    return json_response(
        {
            "results": [
                representations.public_release_data(release, translations[release.pk], profile)
                for release in page
            ],
            "next": next_url,
        }
    )


@public_endpoint
def release(request, slug):
    obj = representations.public_releases_queryset().filter(slug=slug).first()
    if obj is None:
        raise not_found()
    return json_response(representations.public_release_data(obj))


@public_endpoint
def topics(request):
    """Topics with at least one public release, so that a draft's topic does not announce it."""
    results = [
        representations.topic_list_data(topic) for topic in public_topics().order_by("language", "name")
    ]
    return json_response({"results": results})


@public_endpoint
def contacts(request):
    profile = Newsroom.load()
    results = [
        representations.contact_data(contact, profile)
        for contact in Contact.objects.filter(is_active=True).prefetch_related("translations")
    ]
    return json_response({"results": results})


@public_endpoint
def newsroom(request):
    return json_response(representations.newsroom_data(Newsroom.load()))
