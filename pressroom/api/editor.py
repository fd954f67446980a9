"""The editors' API, behind tokens: read drafts, create and update releases, upload attachments, publish,
schedule and unpublish. Every change goes through the same forms, model validation and services as the
admin."""

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pressroom.newsroom import history, services, signals, uploads
from pressroom.newsroom.forms import ReleaseAdminForm
from pressroom.newsroom.models import Attachment, Contact, Newsroom, Release, ReleaseContact, Topic
from pressroom.newsroom.views import absolute

from . import representations
from .auth import READ, WRITE, editor_endpoint
from .cursors import encode_cursor
from .http import ApiError, json_response, not_found
from .public import MAX_LIMIT, CursorField, QueryForm, form_errors
from .storable_text import unstorable_fields

VIEW = (READ, "newsroom.view_release")
ADD = (WRITE, "newsroom.add_release")
CHANGE = (WRITE, "newsroom.change_release")
PUBLISH = (WRITE, "newsroom.publish_release")
TEXT_FIELDS = ["title", "slug", "kind", "language", "lead", "body"]
WRITABLE_FIELDS = [*TEXT_FIELDS, "translation_of", "topics", "contacts"]
# Fields the form requires that a new release gets from the newsroom when the client leaves them out.
DEFAULTED_ON_CREATE = ["kind", "language"]
# Room for the multipart envelope and the text fields around the largest file we accept.
MULTIPART_OVERHEAD = 1024 * 1024


class ReleaseApiForm(ReleaseAdminForm):
    """The admin's release form (with its translation checks), the other release named by its id;
    topics and contacts are set separately, by slug and by id."""

    translation_of = forms.ModelChoiceField(queryset=Release.objects.all(), required=False)

    class Meta(ReleaseAdminForm.Meta):
        fields = ["title", "slug", "kind", "language", "lead", "body"]


class AttachmentApiForm(forms.ModelForm):
    """Validated like the admin's upload: the form runs `Attachment.full_clean()`, which checks the
    file's content, size and type, asks images for an alt text and checks a video's captions and poster.
    A video without captions may be uploaded to a draft; a published or scheduled release takes a video
    only with its captions."""

    order = forms.IntegerField(required=False, min_value=0, max_value=2147483647)

    class Meta:
        model = Attachment
        fields = [
            "file", "title", "caption", "alt_text", "credit", "licence", "order",
            "captions", "captions_language", "poster",
        ]  # fmt: skip

    def clean_order(self):
        """After the release's other attachments unless the client says otherwise."""
        order = self.cleaned_data["order"]
        if order is None:
            order = self.instance.release.attachments.count()
        return order

    def _post_clean(self):
        super()._post_clean()  # the model's validation: the kind of the file is known after it
        release = self.instance.release
        if self.instance.is_video and not self.instance.captions and release.status != Release.Status.DRAFT:
            self.add_error("captions", Attachment.CAPTIONS_REQUIRED)

    def is_too_large(self):
        upload = self.files.get("file")
        return upload is not None and upload.size > uploads.limit_for(upload)


class EditorFilterForm(QueryForm):
    status = forms.ChoiceField(required=False, choices=Release.Status.choices, help_text="Only this status.")
    limit = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_LIMIT, help_text="Releases per page (default 20)."
    )
    cursor = CursorField(parts=(int,), openapi_format="editor-cursor")


def bad_request(field, message):
    return ApiError(400, {field: [message]})


def read_json(request):
    """The request's JSON object ({} for an empty body), or ApiError 400, 413 or 415."""
    try:
        body = request.body
    except RequestDataTooBig:
        raise ApiError(413, {"__all__": [_("The request body is too large.")]}) from None
    if not body.strip():
        return {}
    if request.content_type != "application/json":
        raise ApiError(415, {"__all__": [_("Send JSON with the header Content-Type: application/json.")]})
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise bad_request("__all__", _("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise bad_request("__all__", _("The request body must be a JSON object."))
    if errors := unstorable_fields(data):
        raise ApiError(400, errors)
    return data


def get_release(pk):
    release = representations.editor_releases_queryset().filter(pk=pk).first()
    if release is None:
        raise not_found()
    return release


def release_response(release, status=200):
    release = get_release(release.pk)
    response = json_response(representations.editor_release_data(release), status=status)
    if status == 201:
        response["Location"] = absolute(reverse("pressroom:api:editor_release", kwargs={"pk": release.pk}))
    return response


# Releases


@editor_endpoint({"GET": VIEW, "POST": ADD})
def releases(request):
    if request.method == "POST":
        return save_release(request, None)
    form = EditorFilterForm(request.GET)
    if not form.is_valid():
        raise ApiError(400, form_errors(form))
    params = form.cleaned_data
    queryset = representations.editor_releases_queryset().order_by("-pk")
    if params["status"]:
        queryset = queryset.filter(status=params["status"])
    if params["cursor"]:
        queryset = queryset.filter(pk__lt=params["cursor"][0])
    limit = params["limit"] or settings.API_PAGE_SIZE
    page = list(queryset[: limit + 1])
    more, page = len(page) > limit, page[:limit]
    next_url = None
    if more:
        query = {key: value for key, value in request.GET.items() if key != "cursor"}
        query["cursor"] = encode_cursor(page[-1].pk)
        next_url = absolute(reverse("pressroom:api:editor_releases")) + "?" + urlencode(query)
    return json_response(
        {"results": [representations.editor_release_data(release) for release in page], "next": next_url}
    )


@editor_endpoint({"GET": VIEW, "PATCH": CHANGE})
def release(request, pk):
    obj = get_release(pk)
    if request.method == "PATCH":
        return save_release(request, obj)
    return json_response(representations.editor_release_data(obj))


def required_on_create():
    """The fields a new release's JSON must hold: those the form requires and the newsroom does not fill."""
    return [
        name
        for name, field in ReleaseApiForm.base_fields.items()
        if field.required and name not in DEFAULTED_ON_CREATE
    ]


def check_types(data):
    errors = {}
    for name in data:
        if name not in WRITABLE_FIELDS:
            errors[name] = [_("Unknown or read-only field. Publish and unpublish through their endpoints.")]
    for name in TEXT_FIELDS:
        if name in data and not isinstance(data[name], str):
            errors[name] = [_("Must be a string.")]
    if "translation_of" in data and not _is_id(data["translation_of"], nullable=True):
        errors["translation_of"] = [_("Must be the id of a release, or null.")]
    if "topics" in data and not (
        isinstance(data["topics"], list) and all(isinstance(slug, str) for slug in data["topics"])
    ):
        errors["topics"] = [_("Must be a list of topic slugs.")]
    if "contacts" in data and not (
        isinstance(data["contacts"], list) and all(_is_id(pk) for pk in data["contacts"])
    ):
        errors["contacts"] = [_("Must be a list of contact ids, in the order to show them.")]
    if errors:
        raise ApiError(400, errors)


def _is_id(value, nullable=False):
    if value is None:
        return nullable
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def resolve_topics(slugs, language):
    """Topics by slug; a slug used in several languages means the topic in the release's language."""
    slugs = list(dict.fromkeys(slugs))
    candidates = list(Topic.objects.filter(slug__in=slugs))
    topics, errors = [], []
    for slug in slugs:
        matching = [topic for topic in candidates if topic.slug == slug]
        chosen = [topic for topic in matching if topic.language == language] or matching
        if len(chosen) == 1:
            topics.append(chosen[0])
        elif not chosen:
            errors.append(_("There is no topic “%(slug)s”.") % {"slug": slug})
        else:
            errors.append(_("“%(slug)s” names topics in several languages.") % {"slug": slug})
    if errors:
        raise ApiError(400, {"topics": errors})
    return topics


def resolve_contacts(ids):
    found = Contact.objects.in_bulk(ids)
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise bad_request(
            "contacts", _("There is no contact with id %(ids)s.") % {"ids": ", ".join(map(str, missing))}
        )
    return [found[pk] for pk in dict.fromkeys(ids)]


def save_release(request, release):
    data = read_json(request)
    check_types(data)
    if release is None:
        if missing := [name for name in required_on_create() if name not in data]:
            raise ApiError(400, {name: [_("This field is required.")] for name in missing})
        values = {"kind": Release.Kind.PRESS_RELEASE, "language": Newsroom.load().default_language}
    else:
        values = {name: getattr(release, name) for name in TEXT_FIELDS}
        # Absent from the request: the release stays in its group.
        other = release.other_versions().order_by("pk").values_list("pk", flat=True).first()
        values["translation_of"] = other
        if release.first_published_at and "slug" in data and data["slug"] != release.slug:
            raise ApiError(409, {"slug": [_("The address cannot change after publication.")]})
    values.update({name: data[name] for name in [*TEXT_FIELDS, "translation_of"] if name in data})
    form = ReleaseApiForm(values, instance=release)
    if not form.is_valid():
        conflict = form.has_error("slug", "unique") or form.has_error("translation_of", "unique")
        raise ApiError(409 if conflict else 400, form_errors(form))
    language = form.cleaned_data["language"]
    topics = resolve_topics(data["topics"], language) if "topics" in data else None
    contacts = resolve_contacts(data["contacts"]) if "contacts" in data else None
    try:
        with transaction.atomic(), history.api_revision(request):
            saved = form.save()
            if topics is not None:
                saved.topics.set(topics)
            if contacts is not None:
                saved.release_contacts.all().delete()
                ReleaseContact.objects.bulk_create(
                    ReleaseContact(release=saved, contact=contact, order=order)
                    for order, contact in enumerate(contacts)
                )
            services.record_edit(release=saved, user=request.api_token.user)
            if release is not None and saved.is_public:
                signals.release_updated.send(sender=Release, release=saved)
    except IntegrityError:
        # Two requests took the same slug at the same moment: the second one may simply try again.
        raise ApiError(409, {"slug": [_("Another release took this address just now. Try again.")]}) from None
    return release_response(saved, status=201 if release is None else 200)


# Publishing


def parse_publish_time(value):
    """An aware time from ISO 8601, or None to publish now: a time that has passed publishes now, as
    publication times are never backdated."""
    message = _("Give a date and time in ISO 8601 with a UTC offset, e.g. 2025-05-01T08:00:00+02:00.")
    if not isinstance(value, str):
        raise bad_request("at", message)
    try:
        at = datetime.fromisoformat(value)
        if at.tzinfo is None:
            raise ValueError(value)
        at = at.astimezone(UTC)
    except (ValueError, OverflowError):
        raise bad_request("at", message) from None
    return at if at > timezone.now() else None


@editor_endpoint({"POST": PUBLISH})
def publish(request, pk):
    """Publish now, or schedule with {"at": "<ISO 8601 time in the future>"}."""
    release = get_release(pk)
    data = read_json(request)
    unknown = [name for name in data if name != "at"]
    if unknown:
        raise ApiError(400, {name: [_("Unknown field.")] for name in unknown})
    at = parse_publish_time(data["at"]) if data.get("at") is not None else None
    try:
        services.publish_release(release=release, at=at, user=request.api_token.user)
    except services.AlreadyPublished as exc:
        raise ApiError(409, {"at": exc.messages}) from None
    except (services.NotApproved, services.MissingCaptions) as exc:
        raise ApiError(409, {"__all__": exc.messages}) from None
    return release_response(release)


@editor_endpoint({"POST": PUBLISH})
def unpublish(request, pk):
    release = get_release(pk)
    services.unpublish_release(release=release, user=request.api_token.user)
    return release_response(release)


# Attachments


@editor_endpoint({"POST": CHANGE})
def attachments(request, pk):
    release = get_release(pk)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > uploads.max_request_bytes() + MULTIPART_OVERHEAD:
        raise ApiError(413, {"file": [_("The file is larger than the upload limit.")]})
    if request.content_type != "multipart/form-data":
        raise ApiError(415, {"__all__": [_("Upload the file as multipart/form-data, in the field “file”.")]})
    try:
        form = AttachmentApiForm(request.POST, request.FILES, instance=Attachment(release=release))
        valid = form.is_valid()
    except RequestDataTooBig:
        raise ApiError(413, {"__all__": [_("The request body is too large.")]}) from None
    except (TooManyFieldsSent, MultiPartParserError):
        raise bad_request("__all__", _("The multipart body could not be read.")) from None
    if not valid:
        raise ApiError(413 if form.is_too_large() else 400, form_errors(form))
    with transaction.atomic(), history.api_revision(request, release):
        attachment = form.save()
        if release.is_public:
            signals.release_updated.send(sender=Release, release=release)
    return json_response(representations.attachment_data(attachment), status=201)


@editor_endpoint({"DELETE": CHANGE})
def attachment(request, pk, attachment_pk):
    release = get_release(pk)
    obj = Attachment.objects.filter(release=release, pk=attachment_pk).first()
    if obj is None:
        raise not_found()
    with transaction.atomic(), history.api_revision(request, release):
        obj.delete()
        if release.is_public:
            signals.release_updated.send(sender=Release, release=release)
    return HttpResponse(status=204)


# What editors pick from


@editor_endpoint({"GET": (READ, "newsroom.view_topic")})
def topics(request):
    return json_response({"results": [representations.topic_data(topic) for topic in Topic.objects.all()]})


@editor_endpoint({"GET": (READ, "newsroom.view_contact")})
def contacts(request):
    profile = Newsroom.load()
    results = [
        {
            **representations.contact_data(contact, profile),
            "is_active": contact.is_active,
            "order": contact.order,
        }
        for contact in Contact.objects.prefetch_related("translations")
    ]
    return json_response({"results": results})
