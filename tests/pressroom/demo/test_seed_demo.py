import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from pressroom.newsroom.models import Attachment, Contact, Newsroom, Release, ReleaseContact, Topic

pytestmark = pytest.mark.django_db

SEED_TITLE = "Flere flyktninger over til arbeid etter endt introduksjonsprogram"


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Newsroom, Topic, Contact, Release, ReleaseContact, Attachment)
    }


@pytest.fixture
def seeded():
    return seed()


def test_running_twice_changes_nothing(seeded):
    first = counts()
    releases = list(Release.objects.order_by("pk").values())
    files = sorted(Attachment.objects.values_list("file", flat=True))

    output = seed()

    assert counts() == first
    assert list(Release.objects.order_by("pk").values()) == releases
    assert sorted(Attachment.objects.values_list("file", flat=True)) == files
    assert "Created now: 0 newsroom, 0 topics, 0 contacts, 0 releases, 0 attachments, 0 subscribers" in output
    assert "nothing new" in output


def test_summary_counts(seeded):
    assert (
        "Created now: 1 newsroom, 8 topics, 3 contacts, 19 releases, 6 attachments, 5 subscribers" in seeded
    )
    assert (
        "In the database: 8 topics, 3 contacts, 19 releases (1 draft, 1 scheduled, 17 published), "
        "6 attachments." in seeded
    )


def test_editors_changes_survive_a_second_run(seeded):
    release = Release.objects.get(title=SEED_TITLE)
    release.title = "Endret av redaksjonen"
    release.save()
    newsroom = Newsroom.load()
    newsroom.tagline = "Ny tagline"
    newsroom.save()

    seed()

    assert Release.objects.get(pk=release.pk).title == "Endret av redaksjonen"
    assert Newsroom.load().tagline == "Ny tagline"
    assert not Release.objects.filter(title=SEED_TITLE).exists()


def test_newsroom_profile(seeded):
    newsroom = Newsroom.load()

    assert newsroom.name == "Integrerings- og mangfoldsdirektoratet (IMDi)"
    assert newsroom.tagline
    assert newsroom.website == "https://www.imdi.no"
    assert newsroom.default_language == "nb"
    assert newsroom.about.startswith("<p>Integrerings- og mangfoldsdirektoratet (IMDi) er et fagdirektorat")
    assert newsroom.about.count("<li>") == 7
    assert "<ul><li>ivareta arbeidet med bosetting av flyktninger</li>" in newsroom.about
    assert "<li>være fagmyndighet for tolking i offentlig sektor</li></ul>" in newsroom.about


def test_the_profile_and_the_contacts_titles_in_nynorsk_and_english(seeded):
    newsroom = Newsroom.load()
    nynorsk, english = newsroom.in_language("nn"), newsroom.in_language("en")

    assert nynorsk.name == "Integrerings- og mangfaldsdirektoratet (IMDi)"
    assert nynorsk.tagline == "Pressemeldingar og nyheiter om integrering, busetjing og mangfald"
    assert nynorsk.about.startswith("<p>Integrerings- og mangfaldsdirektoratet (IMDi) er eit fagdirektorat")
    assert nynorsk.about.count("<li>") == 7
    assert english.name == "The Directorate of Integration and Diversity (IMDi)"
    assert english.about.count("<li>") == 7
    # Only the sign-up box and the email footer are left to the standard texts, in every language.
    assert nynorsk.fallbacks() == english.fallbacks() == ["signup_text", "email_footer"]
    kari = Contact.objects.get(email="kari.nordmann@example.no")
    assert [newsroom.in_language(code).role(kari) for code in ("nb", "nn", "en")] == [
        "Kommunikasjonsrådgiver", "Kommunikasjonsrådgivar", "Communications adviser"
    ]  # fmt: skip
    for contact in Contact.objects.all():
        assert {t.language for t in contact.translations.all()} == {"nn", "en"}


def test_topics(seeded):
    nb = set(Topic.objects.filter(language="nb").values_list("name", flat=True))
    en = Topic.objects.filter(language="en")

    assert nb == {"Integrering", "Bosetting", "Arbeid og utdanning", "Statistikk", "Introduksjonsprogrammet"}
    assert 1 <= en.count() <= 2
    for topic in Topic.objects.all():
        assert Release.objects.published().filter(topics=topic).exists(), topic


def test_the_seed_release_as_published(seeded):
    release = Release.objects.get(title=SEED_TITLE)

    assert release.is_public
    assert release.status == Release.Status.PUBLISHED
    assert release.kind == Release.Kind.PRESS_RELEASE
    assert release.language == "nb"
    assert release.lead.startswith("Av de 11 400 flyktninger som avsluttet introduksjonsprogram i 2023,")
    assert release.lead.endswith("i underkant av 3 000 deltakere som avsluttet programmet.")
    assert re.findall(r"<h2>(.*?)</h2>", release.body) == [
        "Flere flyktninger går over til arbeid",
        "Flere fordrevne fra Ukraina som avsluttet program i 2023",
        "Fylkene med best resultater",
    ]
    quote = re.search(r"<blockquote>(.*?)</blockquote>", release.body).group(1)
    assert quote.startswith("<p>– Det er positivt at en høy andel av deltakerne")
    assert quote.endswith("sier direktør i IMDi Libe Rieber-Mohn.</p>")
    assert release.body.endswith("<p>Nye tall for 2023 publiseres her 24. juni</p>")
    assert "41 prosent av alle flykninger gikk til arbeid" in release.body
    assert "Troms og Finnmark, Nordland og Trøndelag" in release.body
    assert release.first_published_at == release.published_at
    assert release.contacts.count() == 2


def test_the_seed_release_has_a_chart_and_a_report(django_capture_on_commit_callbacks):
    # What the demo's worker does once the seed commits: the renditions among it.
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    release = Release.objects.get(title=SEED_TITLE)
    image, document = release.attachments.all()

    assert image.kind == Attachment.Kind.IMAGE
    assert image.content_type == "image/png"
    assert image.alt_text
    assert image.caption
    assert (image.credit, image.licence) == ("IMDi", "CC BY 4.0")
    assert image.thumb and image.web
    with image.file.open("rb") as f, Image.open(f) as picture:
        assert picture.size == (1600, 900)

    assert document.kind == Attachment.Kind.DOCUMENT
    assert document.content_type == "application/pdf"
    assert document.title == "Rapport: Resultater introduksjonsprogrammet 2023"
    with document.file.open("rb") as f:
        pdf = f.read()
    assert_valid_pdf(pdf)
    assert "Resultater introduksjonsprogrammet 2023".encode("cp1252") in pdf


def assert_valid_pdf(pdf):
    """Every cross-reference entry points at its object, and startxref at the table."""
    assert pdf.startswith(b"%PDF-1.")
    assert pdf.rstrip().endswith(b"%%EOF")
    xref = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))
    assert pdf[xref:].startswith(b"xref\n")
    entries = re.findall(rb"(\d{10}) 00000 n ", pdf[xref:])
    assert entries
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj" % number)


def test_contacts_are_fictional(seeded):
    contacts = list(Contact.objects.all())

    assert 2 <= len(contacts) <= 3
    for contact in contacts:
        assert contact.email.endswith("@example.no")
        assert re.fullmatch(r"\+47 400 00 0\d\d", contact.phone)
        assert contact.role
    assert {"Kommunikasjonsrådgiver", "Pressevakt"} <= {c.role for c in contacts}


def test_enough_releases_for_lists_topics_and_pages(seeded):
    published = Release.objects.published()
    others = published.exclude(title=SEED_TITLE)

    assert others.count() >= 14
    assert set(published.values_list("kind", flat=True)) == set(Release.Kind.values)
    assert published.filter(published_at__lt=timezone.now() - timezone.timedelta(days=90)).exists()
    for release in published:
        assert release.title and release.lead and release.body
        assert release.topics.exists()


def test_english_and_nynorsk_releases_are_versions_of_bokmal_ones(seeded):
    versions = Release.objects.published().exclude(language="nb")

    assert sorted(versions.values_list("language", flat=True)) == ["en", "en", "nn"]
    for release in versions:
        [original] = release.other_versions().filter(language="nb")
        assert original.is_public
    assert list(
        Release.objects.get(title=SEED_TITLE).other_versions().values_list("language", flat=True)
    ) == ["en"]


def test_one_release_has_a_nynorsk_version_in_its_bokmal_originals_group(seeded):
    nynorsk = Release.objects.published().get(language="nn")
    original = Release.objects.get(slug="anmodning-om-bosetting-av-flyktninger-neste-ar")

    assert nynorsk.translation_group_id == original.translation_group_id is not None
    assert sorted(original.other_versions().values_list("language", flat=True)) == ["en", "nn"]
    assert nynorsk.title == "Kommunane blir bedne om å busetje flyktningar neste år"
    assert [topic.language for topic in nynorsk.topics.all()] == ["nn"]


def test_one_scheduled_and_one_draft(seeded):
    scheduled = Release.objects.get(status=Release.Status.SCHEDULED)
    draft = Release.objects.get(status=Release.Status.DRAFT)

    assert scheduled.published_at > timezone.now()
    assert not scheduled.is_public
    assert not draft.is_public
    assert draft.published_at is None
    assert Release.objects.published().count() == Release.objects.count() - 2


def test_images_have_alt_text(seeded):
    images = Attachment.objects.filter(kind=Attachment.Kind.IMAGE)

    assert images.count() == 5
    assert not images.filter(alt_text="").exists()


def test_the_english_release_reuses_the_norwegian_chart_stored_once(seeded):
    chart = Attachment.objects.get(release__language="nb", alt_text__startswith="Stolpediagram")
    english = Attachment.objects.get(release__language="en", sha256=chart.sha256)

    assert english.alt_text.startswith("Bar chart") and english.file.name == chart.file.name


def test_demo_subscribers_are_confirmed_and_fictional(seeded):
    from subscriptions.models import Subscriber

    subscribers = Subscriber.objects.all()
    assert subscribers.count() == 5
    assert all(s.status == Subscriber.Status.ACTIVE and s.email.endswith("example.no") for s in subscribers)
    assert all(s.consent_method == Subscriber.ConsentMethod.ADMIN and s.consent_note for s in subscribers)
