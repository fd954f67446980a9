"""The embargo on the surfaces the view tests (tests/pressroom/newsroom/test_views.py) leave out: the JSON
feed, the API, press kits, the upcoming list and calendar, the OpenGraph image, the staff preview without a
staff login, file and image addresses guessed by id, what shared caches may keep, and the emails: the
release mailing and the digests. Before the time: nothing. After it: everything, with nothing to run
but the scheduler (every PRESSROOM_PUBLISH_INTERVAL seconds). Unpublished: nothing again.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from pressroom.newsroom import pagecache
from pressroom.newsroom.models import Attachment, Release
from pressroom.newsroom.services import publish_due_releases, publish_release, unpublish_release
from subscriptions import mailings, services
from subscriptions.models import Delivery, Mailing, Subscriber
from tests.factories import NewsroomFactory, ReleaseFactory, TopicFactory, full_release
from tests.pressroom.newsroom.test_views import surfaces as page_surfaces
from tests.subscriptions.conftest import run_digests
from tests.subscriptions.factories import SubscriberFactory
from tests.subscriptions.test_mailings import send_all, subscriber

pytestmark = pytest.mark.django_db

OG_IMAGE = re.compile(r'<meta property="og:image" content="([^"]+)"')


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def og_image_url(release):
    """The OpenGraph image the release page names once it is public: its header image's rendition."""
    return settings.SITE_URL + release.attachments.filter(kind="image").first().get_rendition_url("web")


def more_surfaces(client, release):
    """What the view tests' matrix does not look at, as an anonymous visitor sees it."""
    slug, title, og_image = release.slug, release.title, og_image_url(release)
    attachments = list(release.attachments.all())
    preview = client.get(reverse("pressroom:preview", kwargs={"pk": release.pk}))
    return {
        "json feed": slug in client.get("/feed/json/").content.decode(),
        "api list": slug in client.get("/api/v1/releases/").content.decode(),
        "api search": slug in client.get("/api/v1/releases/", {"q": title}).content.decode(),
        "api detail": client.get(f"/api/v1/releases/{slug}/").status_code == 200,
        "press kit": client.get(reverse("pressroom:presskit", kwargs={"slug": slug})).status_code == 200,
        "upcoming": slug in client.get("/upcoming/").content.decode(),
        "upcoming calendar": slug in client.get("/upcoming.ics").content.decode(),
        "og image": client.get(og_image.removeprefix(settings.SITE_URL)).status_code == 200,
        "media bank asset pages": any(
            client.get(attachment.get_media_url("nb")).status_code == 200 for attachment in attachments
        ),
        # Its files are the same as the public release's (the factory's image and PDF): their asset pages
        # are public, and list the releases using them.
        "named on shared asset pages": any(
            slug in client.get(other.get_media_url("nb")).content.decode()
            for other in Attachment.objects.public().filter(sha256__in=[a.sha256 for a in attachments])
        ),
        "preview without staff login": preview.status_code == 200 or title in preview.content.decode(),
    }


def guessed_files(client):
    """Every file and image address a visitor could guess from ids, and which of them answer 200."""
    last = Attachment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    names = set(Attachment.objects.values_list("file", flat=True))
    names = {name.rsplit("/", 1)[-1] for name in names} | {"x.pdf", "bilde.png"}
    found = set()
    for pk in range(1, last + 3):
        for url in [f"/files/{pk}/{name}" for name in names] + [
            f"/images/{pk}/{n}/" for n in ("web", "thumb")
        ]:
            if client.get(url).status_code == 200:
                found.add(pk)
    return found


def test_a_scheduled_release_shows_nowhere_else_until_its_time_and_everywhere_after(client):
    topic = TopicFactory()
    public = full_release(published=True, title="Offentlig melding", topics=[topic])
    scheduled = full_release(scheduled=True, title="Planlagt melding", topics=[topic])
    draft = full_release(title="Utkast melding", topics=[topic])
    public_files = set(public.attachments.values_list("pk", flat=True))

    for hidden in (scheduled, draft):
        seen = more_surfaces(client, hidden)
        assert not any(seen.values()), {name for name, shown in seen.items() if shown}
    assert guessed_files(client) == public_files
    assert publish_due_releases() == 0
    assert not Mailing.objects.filter(release__in=[scheduled, draft]).exists()

    # The time comes: every surface shows it at once, the OpenGraph image included; the scheduler (every
    # PRESSROOM_PUBLISH_INTERVAL seconds, well within a minute) marks it published and starts its mailing.
    Release.objects.filter(pk__in=[scheduled.pk, draft.pk]).update(published_at=timezone.now())
    # The update stands in for time passing; the page cache ends its pages at the scheduled time
    # itself (tests/pressroom/newsroom/test_pagecache.py), so here they end with it.
    pagecache.invalidate()
    page = client.get(scheduled.get_absolute_url()).content.decode()
    assert OG_IMAGE.search(page).group(1) == og_image_url(scheduled)
    seen = more_surfaces(client, scheduled)
    seen.pop("press kit")  # built by a task after publication: tests/pressroom/press/test_presskit.py
    for name in ("upcoming", "upcoming calendar", "preview without staff login"):
        seen[name] = not seen[name]  # never shown there, before or after
    assert all(seen.values()), {name for name, shown in seen.items() if not shown}
    assert guessed_files(client) == public_files | set(scheduled.attachments.values_list("pk", flat=True))
    assert settings.CELERY_BEAT_SCHEDULE["publish-due-releases"]["schedule"] <= 60
    assert publish_due_releases() == 1
    assert Mailing.objects.filter(release=scheduled).exists()
    # A draft stays hidden whatever its time says, and gets no mailing.
    assert not any(more_surfaces(client, draft).values())
    assert not Mailing.objects.filter(release=draft).exists()


def test_unpublishing_takes_it_off_the_other_surfaces_too(client):
    release = full_release(published=True)
    files = set(release.attachments.values_list("pk", flat=True))
    assert more_surfaces(client, release)["api detail"]
    assert guessed_files(client) == files

    unpublish_release(release=release)

    assert not any(more_surfaces(client, release).values())
    assert not any(page_surfaces(client, release).values())
    assert guessed_files(client) == set()


# Emails


def test_a_scheduled_release_is_in_no_digest_before_its_time(mailoutbox):
    daily = SubscriberFactory(language="nb", frequency=Subscriber.Frequency.DAILY)
    weekly = SubscriberFactory(language="nb", frequency=Subscriber.Frequency.WEEKLY)
    release = ReleaseFactory(title="Planlagt til i morgen", language="nb")
    when = timezone.now() + timedelta(days=1)
    publish_release(release=release, at=when)
    draft = ReleaseFactory(
        title="Et utkast med tid", language="nb", published_at=timezone.now() - timedelta(hours=2)
    )

    # Digest runs up to a minute before the publish time, however late their period ends.
    for moment in (timezone.now(), when - timedelta(minutes=1)):
        for frequency in ("daily", "weekly"):
            run_digests(frequency, now=moment)
    assert mailoutbox == []

    # Time passes (the publish time is moved behind us, as the senders check the rule when they send):
    # the first run after the time lists it, for each frequency; the draft is in none.
    when = timezone.now() - timedelta(minutes=1)
    Release.objects.filter(pk=release.pk).update(published_at=when)
    Subscriber.objects.update(digest_covered_until=None)  # the runs above were in that moved future
    for frequency in ("daily", "weekly"):
        run_digests(frequency, now=when + timedelta(days=1))
    assert sorted(m.to[0] for m in mailoutbox) == sorted([daily.email, weekly.email])
    for message in mailoutbox:
        assert release.title in message.body
        assert draft.title not in message.body and draft.title not in message.alternatives[0][0]


def test_an_unpublished_release_is_in_no_digest(mailoutbox):
    SubscriberFactory(language="nb", frequency=Subscriber.Frequency.DAILY)
    release = ReleaseFactory(published=True, language="nb", title="Trukket tilbake")
    unpublish_release(release=release)

    run_digests("daily", now=timezone.now() + timedelta(days=1))

    assert mailoutbox == []


def test_unpublishing_stops_its_mailing_until_it_is_public_again(
    provider, django_capture_on_commit_callbacks
):
    release = ReleaseFactory(title="Sendes, trekkes, sendes")
    people = [subscriber(f"s{i:02}@example.org") for i in range(25)]
    publish_release(release=release)
    mailing = mailings.prepare_mailing(Mailing.objects.get(release=release).pk)
    claim = mailings.claim_batch(mailing.pk, 10)  # a batch is out when the editor unpublishes
    rows = mailings.hand_over(claim)

    unpublish_release(release=release)
    mailings.write_back(claim, mailings.send_rows(rows, _builder(release), _provider(), None))
    send_all(mailing)

    assert len(provider.recipients()) == 10  # the batch in flight, and nobody after it
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.PAUSED
    assert Delivery.objects.filter(mailing=mailing, status=Delivery.Status.QUEUED).count() == 15

    # Published again, and resumed by an editor: the others get it, each once.
    publish_release(release=release)
    with django_capture_on_commit_callbacks(execute=True):
        services.resume(mailing=mailing)
    send_all(mailing)
    assert sorted(provider.recipients()) == sorted(p.email for p in people)


def _builder(release):
    from subscriptions.release_email import ReleaseMessage

    return ReleaseMessage(release)


def _provider():
    from subscriptions import providers

    return providers.current()


# What shared caches may keep


def shared_cache_seconds(cache_control):
    """How long a shared cache may serve a response with CACHE_CONTROL without asking again; None when
    the header is missing (a cache may then choose for itself)."""
    if not cache_control:
        return None
    directives = {}
    for part in cache_control.lower().split(","):
        name, _, value = part.strip().partition("=")
        directives[name] = value
    if {"private", "no-store", "no-cache"} & directives.keys():
        return 0
    return int(directives.get("s-maxage") or directives.get("max-age") or 0)


def test_no_public_response_may_sit_in_a_shared_cache_for_more_than_a_minute(client):
    topic = TopicFactory()
    release = full_release(published=True, topics=[topic])
    hidden = full_release(scheduled=True, topics=[topic])
    image = release.attachments.get(kind="image")
    pdf = release.attachments.get(kind="document")
    year = timezone.localtime(release.published_at).year
    urls = [
        "/", release.get_absolute_url(), topic.get_absolute_url(), "/archive/", f"/archive/{year}/",
        "/search/?q=melding", "/contacts/", "/feed/rss/", "/feed/atom/", "/feed/json/", "/sitemap.xml",
        topic.get_absolute_url() + "rss/", "/en/", "/nn/feed/json/", "/en/sitemap.xml",
        "/api/v1/releases/", f"/api/v1/releases/{release.slug}/", "/upcoming/", "/upcoming.ics",
        image.get_absolute_url(), image.get_rendition_url("web"), image.get_rendition_url("thumb"),
        pdf.get_absolute_url(), "/robots.txt",
        # Before an embargo lifts: a 404 kept by a cache would hide the release after its time.
        hidden.get_absolute_url(), f"/api/v1/releases/{hidden.slug}/",
        hidden.attachments.get(kind="image").get_rendition_url("web"), "/finnes-ikke/",
    ]  # fmt: skip
    kept = {}
    for url in urls:
        response = client.get(url)
        seconds = shared_cache_seconds(response.get("Cache-Control"))
        if seconds is None or seconds > 60:
            kept[url] = (response.status_code, response.get("Cache-Control"))
        if not response.streaming and b"csrfmiddlewaretoken" in response.content:
            # A page with a visitor's CSRF token in it is never shared.
            assert "private" in response["Cache-Control"], url
    assert not kept, kept
