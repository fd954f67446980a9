"""How releases, topics, contacts and the newsroom look in JSON, for the API and the webhooks alike.

The public shapes show exactly what the public pages show: releases from `Release.objects.published()`,
active contacts only, translations only when they are public too. The editors' shape adds the status,
the times and everything a draft has.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse

from pressroom.newsroom.languages import reverse_in
from pressroom.newsroom.models import Newsroom, Release, ReleaseContact
from pressroom.newsroom.profile import TRANSLATED
from pressroom.newsroom.views import absolute, with_page_data


def iso(value):
    return value.isoformat() if value else None


def with_public_data(queryset):
    """QUERYSET's releases with what their JSON needs, without a query per release: the page's data and
    the contacts' titles in every language (contact_data)."""
    return with_page_data(queryset).prefetch_related("release_contacts__contact__translations")


def public_releases_queryset():
    """Public releases with what their JSON needs, without a query per release."""
    return with_public_data(Release.objects.published().in_pressroom_languages())


def editor_releases_queryset():
    contacts = ReleaseContact.objects.select_related("contact")
    return Release.objects.prefetch_related(
        "topics", "attachments", "video_links", Prefetch("release_contacts", queryset=contacts)
    )


def public_translations(releases):
    """{release id: [its public versions in other languages]} for RELEASES, in one query."""
    groups = {release.translation_group_id for release in releases if release.translation_group_id}
    related = (
        Release.objects.published()
        .in_pressroom_languages()
        .filter(translation_group__in=groups)
        .only("pk", "slug", "title", "language", "translation_group_id")
        .order_by("language", "pk")
    )
    found = {release.pk: [] for release in releases}
    for other in related:
        for release in releases:
            if other.pk != release.pk and other.translation_group_id == release.translation_group_id:
                found[release.pk].append(other)
    return found


def topic_data(topic):
    return {"slug": topic.slug, "name": topic.name, "language": topic.language}


def topic_list_data(topic):
    kwargs = {"slug": topic.slug}
    query = "?" + urlencode({"topic": topic.slug, "language": topic.language})
    return {
        **topic_data(topic),
        "url": absolute(topic.get_absolute_url()),
        "releases_url": absolute(reverse("pressroom:api:releases") + query),
        "feeds": {
            "rss": absolute(reverse_in(topic.language, "pressroom:topic_feed_rss", kwargs)),
            "atom": absolute(reverse_in(topic.language, "pressroom:topic_feed_atom", kwargs)),
        },
    }


def contact_data(contact, newsroom, language=None):
    """CONTACT with its title in LANGUAGE (a release's; the main language's by default) and in each
    language (`roles`), as NEWSROOM's profile gives them (profile.py; prefetch "translations")."""
    roles = {code: newsroom.in_language(code).role(contact) for code, _name in settings.LANGUAGES}
    return {
        "id": contact.pk,
        "name": contact.name,
        "role": newsroom.in_language(language or newsroom.default_language).role(contact),
        "roles": roles,
        "email": contact.email,
        "phone": contact.phone,
        "photo_url": (
            absolute(reverse("pressroom:contact_photo", kwargs={"pk": contact.pk})) if contact.photo else None
        ),
        "vcard_url": absolute(contact.get_vcard_url()),
    }


def attachment_data(attachment):
    renditions = {"web": None, "thumb": None}
    if attachment.is_image or attachment.is_video:
        for name in renditions:
            if getattr(attachment, name):
                renditions[name] = absolute(attachment.get_rendition_url(name))
    return {
        "id": attachment.pk,
        "kind": attachment.kind,
        "filename": attachment.filename,
        "title": attachment.title,
        "caption": attachment.caption,
        "alt_text": attachment.alt_text,
        "credit": attachment.credit,
        "licence": attachment.licence,
        # Whether people can be recognised, their consent recorded; who consented stays in the newsroom.
        "people_shown": attachment.people_shown,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "width": attachment.width,
        "height": attachment.height,
        "order": attachment.order,
        "url": absolute(attachment.get_absolute_url()),
        "renditions": renditions,
        "captions_url": absolute(attachment.captions_url) if attachment.captions_url else None,
        "captions_language": attachment.captions_srclang if attachment.is_video else None,
        "poster_url": absolute(attachment.poster_url) if attachment.poster_url else None,
    }


def video_link_data(link):
    return {
        "provider": link.provider,
        "video_id": link.video_id,
        "title": link.title,
        "order": link.order,
        "url": link.watch_url,
        "embed_url": link.embed_url,
    }


def translation_data(release):
    return {
        "id": release.pk,
        "slug": release.slug,
        "language": release.language,
        "title": release.title,
        "url": absolute(release.get_absolute_url()),
        "api_url": absolute(reverse("pressroom:api:release", kwargs={"slug": release.slug})),
    }


def public_release_data(release, translations=None, newsroom=None):
    """A public release (from `public_releases_queryset()`) as the read API and the webhooks show it."""
    if translations is None:
        translations = public_translations([release])[release.pk]
    newsroom = newsroom or Newsroom.load()
    return {
        "id": release.pk,
        "slug": release.slug,
        "url": absolute(release.get_absolute_url()),
        "api_url": absolute(reverse("pressroom:api:release", kwargs={"slug": release.slug})),
        "title": release.title,
        "kind": release.kind,
        "language": release.language,
        "translation_group": release.translation_group_id,
        "lead": release.lead,
        "body": release.body,
        "published_at": iso(release.published_at),
        "updated_at": iso(release.updated_at),
        "topics": [topic_data(topic) for topic in release.topics.all()],
        "attachments": [attachment_data(attachment) for attachment in release.attachments.all()],
        "video_links": [video_link_data(link) for link in release.video_links.all()],
        "contacts": [
            contact_data(rc.contact, newsroom, release.language) for rc in release.release_contacts.all()
        ],
        "translations": [translation_data(other) for other in translations],
    }


def editor_release_data(release):
    """Any release, as the editors' API shows it (from `editor_releases_queryset()`)."""
    return {
        "id": release.pk,
        "slug": release.slug,
        "status": release.status,
        "is_public": release.is_public,
        "url": absolute(release.get_absolute_url()),
        "preview_url": absolute(reverse("pressroom:preview", kwargs={"pk": release.pk})),
        "api_url": absolute(reverse("pressroom:api:editor_release", kwargs={"pk": release.pk})),
        "title": release.title,
        "kind": release.kind,
        "language": release.language,
        "lead": release.lead,
        "body": release.body,
        "translation_group": release.translation_group_id,
        "published_at": iso(release.published_at),
        "first_published_at": iso(release.first_published_at),
        "created_at": iso(release.created_at),
        "updated_at": iso(release.updated_at),
        "topics": [topic_data(topic) for topic in release.topics.all()],
        "contacts": [
            {"id": rc.contact_id, "name": rc.contact.name, "order": rc.order}
            for rc in release.release_contacts.all()
        ],
        "attachments": [attachment_data(attachment) for attachment in release.attachments.all()],
        "video_links": [video_link_data(link) for link in release.video_links.all()],
    }


def pressroom_data(language):
    def url(name):
        return absolute(reverse_in(language, name))

    return {
        "url": url("pressroom:home"),
        "feeds": {
            "rss": url("pressroom:feed_rss"),
            "atom": url("pressroom:feed_atom"),
            "json": url("pressroom:feed_json"),
        },
    }


def texts_data(text):
    """The newsroom's texts as its pressroom in one language shows them (TEXT: a NewsroomText)."""
    return {field: getattr(text, field) for field in TRANSLATED}


def newsroom_data(newsroom):
    return {
        "name": newsroom.name,
        "tagline": newsroom.tagline,
        "about": newsroom.about,
        "logo_url": absolute(reverse("pressroom:newsroom_logo")) if newsroom.logo else None,
        "cover_url": absolute(reverse("pressroom:newsroom_cover")) if newsroom.cover else None,
        "accent_color": newsroom.accent_color or None,
        "website": newsroom.website,
        "email": newsroom.email,
        "phone": newsroom.phone,
        "default_language": newsroom.default_language,
        # The pressroom at the root (the default language's), and then every language's.
        **pressroom_data(settings.LANGUAGE_CODE),
        "pressrooms": [
            {"language": code, **texts_data(newsroom.in_language(code)), **pressroom_data(code)}
            for code, _name in settings.LANGUAGES
        ],
        "api": {
            "releases": absolute(reverse("pressroom:api:releases")),
            "topics": absolute(reverse("pressroom:api:topics")),
            "contacts": absolute(reverse("pressroom:api:contacts")),
            "openapi": absolute(reverse("pressroom:api:openapi")),
        },
    }
