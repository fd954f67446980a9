"""Factories for the pressroom models. Files are real (a tiny PNG made with Pillow, a minimal PDF) so the
content checks and the renditions run as they do for an editor's upload."""

import io
from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.test import TestCase
from django.utils import timezone
from PIL import Image

from pressroom.demo.management.commands.seed_demo import pdf_document
from pressroom.newsroom.models import Attachment, Contact, Newsroom, Release, ReleaseContact, Topic, VideoLink
from pressroom.newsroom.services import set_version_of


def png_bytes(width=24, height=16, color=(200, 40, 40)):
    """A real PNG made with Pillow."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def same_pixels(data, other):
    """Whether the images in the bytes DATA and OTHER have the same pixels."""
    first, second = (Image.open(io.BytesIO(d)).convert("RGBA") for d in (data, other))
    return first.size == second.size and first.tobytes() == second.tobytes()


def pdf_bytes(text="Pressroom"):
    """A minimal, valid one-page PDF."""
    return pdf_document([(12, text)])


def mp4_box(kind, payload=b""):
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def mp4_bytes(brand=b"isom"):
    """A structurally valid MP4 (file type, movie and media data boxes), without real frames."""
    return (
        mp4_box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand)
        + mp4_box(b"moov", mp4_box(b"mvhd", bytes(100)))
        + mp4_box(b"mdat", bytes(64))
    )


def webm_bytes(doctype=b"webm"):
    """A WebM EBML header with its document type, and the start of a Matroska segment."""
    children = (
        b"\x42\x86\x81\x01" b"\x42\xf7\x81\x01" b"\x42\xf2\x81\x04" b"\x42\xf3\x81\x08"
        + b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
        + b"\x42\x87\x81\x02" b"\x42\x85\x81\x02"
    )  # fmt: skip
    header = b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(children)]) + children
    return header + b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff" + bytes(32)


def vtt_bytes(text="Hei, og velkommen."):
    return f"WEBVTT\n\n00:00.000 --> 00:02.000\n{text}\n".encode()


class NewsroomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Newsroom
        django_get_or_create = ("id",)

    id = 1
    name = "Integrerings- og mangfoldsdirektoratet"
    tagline = "IMDi"
    about = "<p>IMDi skal bidra til integrering og mangfold.</p>"
    website = "https://www.imdi.no"
    email = "presse@imdi.no"
    phone = "+47 24 16 88 00"


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Tema {n}")
    language = "nb"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Sequence(lambda n: f"Kari Nordmann {n}")
    role = "Kommunikasjonsrådgiver"
    email = factory.Sequence(lambda n: f"kontakt{n}@imdi.no")
    phone = "+47 900 00 000"
    is_active = True


class ReleaseFactory(factory.django.DjangoModelFactory):
    """A draft by default; `ReleaseFactory(published=True)` is public since an hour ago."""

    class Meta:
        model = Release
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Pressemelding nummer {n}")
    lead = "Ingressen til pressemeldingen."
    body = "<p>Brødteksten.</p>"
    language = "nb"
    status = Release.Status.DRAFT

    class Params:
        published = factory.Trait(
            status=Release.Status.PUBLISHED,
            published_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1)),
            first_published_at=factory.SelfAttribute("published_at"),
        )
        scheduled = factory.Trait(
            status=Release.Status.SCHEDULED,
            published_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=1)),
        )

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.add(*extracted)

    @factory.post_generation
    def version_of(self, create, extracted, **kwargs):
        """`ReleaseFactory(language="en", version_of=original)`: in ORIGINAL's translation group."""
        if create and extracted:
            set_version_of(release=self, original=extracted)
            self.save(update_fields=["translation_group"])


class ReleaseContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReleaseContact

    release = factory.SubFactory(ReleaseFactory)
    contact = factory.SubFactory(ContactFactory)
    order = factory.Sequence(lambda n: n)


class AttachmentFactory(factory.django.DjangoModelFactory):
    """An image by default (a real PNG, with renditions); `AttachmentFactory(pdf=True)` is a document.

    The renditions are made as in production: by the task queued when the upload commits (run here
    eagerly, when the test's transaction would have committed)."""

    class Meta:
        model = Attachment

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            attachment = super()._create(model_class, *args, **kwargs)
        attachment.refresh_from_db(fields=["web", "thumb", "renditions"])
        return attachment

    release = factory.SubFactory(ReleaseFactory)
    file = factory.LazyFunction(lambda: ContentFile(png_bytes(), name="bilde.png"))
    title = "Bilde"
    caption = "Bildetekst."
    alt_text = "Et rødt rektangel."
    credit = "Foto: IMDi"
    licence = "CC BY 4.0"
    order = factory.Sequence(lambda n: n)

    class Params:
        pdf = factory.Trait(
            file=factory.LazyFunction(lambda: ContentFile(pdf_bytes(), name="rapport.pdf")),
            title="Rapport",
            caption="",
            alt_text="",
            credit="",
            licence="",
        )
        # A video with captions and a poster (whose renditions are the video's).
        video = factory.Trait(
            file=factory.LazyFunction(lambda: ContentFile(mp4_bytes(), name="film.mp4")),
            captions=factory.LazyFunction(lambda: ContentFile(vtt_bytes(), name="film.vtt")),
            poster=factory.LazyFunction(lambda: ContentFile(png_bytes(64, 36), name="plakat.png")),
            title="Film",
            alt_text="",
        )


class VideoLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VideoLink

    release = factory.SubFactory(ReleaseFactory)
    provider = VideoLink.Provider.YOUTUBE
    video_id = "dQw4w9WgXcQ"
    title = "Intervju med direktøren"
    order = factory.Sequence(lambda n: n)


def full_release(*, images=1, documents=1, contacts=1, topics=1, **kwargs):
    """A release with everything the release page shows: images, documents, contacts and topics."""
    topic_objs = TopicFactory.create_batch(topics) if isinstance(topics, int) else list(topics)
    release = ReleaseFactory(topics=topic_objs, **kwargs)
    for _ in range(images):
        AttachmentFactory(release=release)
    for _ in range(documents):
        AttachmentFactory(release=release, pdf=True)
    for _ in range(contacts):
        ReleaseContactFactory(release=release)
    return release
