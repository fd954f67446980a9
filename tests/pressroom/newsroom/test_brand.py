"""The newsroom's brand: the accent colour and its contrast, the logo, cover and contact photo uploads and
their renditions, and how the public pages show them."""

import io
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from PIL import Image

from pressroom.newsroom import brand
from pressroom.newsroom.models import Contact, Newsroom
from tests.factories import ContactFactory, NewsroomFactory, ReleaseContactFactory, ReleaseFactory, png_bytes
from tests.pressroom.newsroom.test_uploads import noisy_jpeg, png_claiming_size

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def admin_client(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin_client


def jpeg_bytes(width, height, color=(200, 120, 40), exif=None):
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG", quality=90, **({"exif": exif} if exif else {}))
    return out.getvalue()


def profile_form(**overrides):
    data = {
        "name": "IMDi",
        "tagline": "",
        "about": "",
        "website": "",
        "email": "",
        "phone": "",
        "default_language": "nb",
        "accent_color": "",
        "cover_alt_text": "",
    }
    return {**data, **overrides}


def post_profile(client, capture, **overrides):
    """Post the newsroom's change form; what it queues on commit (the renditions) runs."""
    newsroom = NewsroomFactory()
    with capture(execute=True):
        return client.post(
            reverse("admin:newsroom_newsroom_change", args=[newsroom.pk]), profile_form(**overrides)
        )


# Colours


def test_contrast_is_computed_as_wcag_defines_it():
    assert brand.contrast("#ffffff", "#000000") == pytest.approx(21)
    assert brand.contrast("#0b57a4", "#ffffff") == pytest.approx(7.21, abs=0.01)
    assert brand.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # just below AA
    assert brand.contrast("#0b57a4", "#f4f6f8") == pytest.approx(6.65, abs=0.01)


@pytest.mark.parametrize(
    "colour", ["#ffd700", "#ffffff", "#777777", "#00a3e0", "#e60000", "#000000", "#5a2d82"]
)
def test_every_pair_of_a_palette_that_carries_text_reaches_aa(colour):
    palette = brand.palette(colour)

    assert palette.brand == colour
    assert brand.contrast(palette.brand, palette.on_brand) >= 4.5
    assert brand.contrast(palette.accent, brand.WHITE) >= 4.5  # links on white, white on buttons
    assert brand.contrast(palette.accent, brand.LIGHT_SURFACE) >= 4.5  # links on the grey panels
    assert brand.contrast(palette.accent_dark, palette.accent_soft) >= 4.5
    assert brand.contrast(palette.accent, palette.accent_soft) >= 4.5
    assert brand.contrast(palette.accent_on_dark, brand.DARK_SURFACE) >= 4.5


def test_a_light_colour_is_darkened_for_links_and_kept_for_the_band():
    palette = brand.palette("#ffd700")

    assert palette.adjusted
    assert palette.on_brand == brand.BLACK
    assert palette.accent != "#ffd700"
    assert 4.5 <= brand.contrast(palette.accent, brand.LIGHT_SURFACE) < 4.7  # the nearest shade that does


def test_a_dark_enough_colour_is_used_as_it_is():
    palette = brand.palette("#5a2d82")
    assert not palette.adjusted and palette.accent == "#5a2d82" and palette.on_brand == brand.WHITE


def test_without_a_colour_the_palette_is_the_sites_own():
    palette = brand.palette("")
    assert palette.brand == palette.accent == "#0b57a4"
    assert brand.palette("not a colour") == palette  # a page never fails on a stored value


@pytest.mark.parametrize(
    ("typed", "stored"), [("#ABC", "#aabbcc"), ("5A2D82", "#5a2d82"), (" #5a2d82 ", "#5a2d82")]
)
def test_the_form_takes_a_hex_colour_and_stores_it_normalized(
    admin_client, django_capture_on_commit_callbacks, typed, stored
):
    response = post_profile(admin_client, django_capture_on_commit_callbacks, accent_color=typed)

    assert response.status_code == 302
    assert Newsroom.load().accent_color == stored


@pytest.mark.parametrize("typed", ["blue", "#12345", "#gggggg", "#1234567", "rgb(0,0,0)", "#fff;}</style>"])
def test_a_colour_that_is_not_a_hex_code_is_a_form_error(
    admin_client, django_capture_on_commit_callbacks, typed
):
    response = post_profile(admin_client, django_capture_on_commit_callbacks, accent_color=typed)

    assert response.status_code == 200
    error = response.context["adminform"].form.errors["accent_color"][0]
    assert error == "Enter the colour as a hex code: # and six digits 0–9 or letters a–f, such as #0b57a4."
    assert Newsroom.load().accent_color == ""


def test_a_low_contrast_colour_is_saved_with_a_message_naming_the_shade_links_use(
    admin_client, django_capture_on_commit_callbacks
):
    response = post_profile(admin_client, django_capture_on_commit_callbacks, accent_color="#ffd700")

    assert response.status_code == 302
    shade = brand.palette("#ffd700").accent
    [message] = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert (
        "#ffd700 is too light for text: on the pages' white and light grey it reaches only 1.3:1" in message
    )
    assert f"Links and buttons use the darker shade {shade}" in message
    assert "with black text on it" in message


def test_a_colour_that_reads_on_white_gets_no_warning(admin_client, django_capture_on_commit_callbacks):
    response = post_profile(admin_client, django_capture_on_commit_callbacks, accent_color="#5a2d82")
    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]


def test_an_imported_colour_is_checked_like_any_other_field():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="six hex digits"):
        Newsroom(name="X", accent_color="red;}</style>").clean_fields()


# Uploads


HOSTILE = [
    ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG and XML"),
    ("logo.svg", b'<?xml version="1.0"?><svg onload="alert(1)"/>', "SVG and XML files are not accepted"),
    ("logo.png", b"%PDF-1.4\n" + b"0" * 200, "Upload an image: JPEG, PNG, WebP or GIF."),
    ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 300, "The image is damaged or not an image."),
    ("logo.jpg", noisy_jpeg()[:2500], "The image is damaged or not an image."),
    ("bomb.png", png_claiming_size(100_000, 100_000), "The image is too large in pixels"),
    ("empty.png", b"", "The submitted file is empty."),
]


@pytest.mark.parametrize("field", ["logo", "cover"])
@pytest.mark.parametrize(
    ("name", "content", "message"), HOSTILE, ids=[f"{i}-{h[0]}" for i, h in enumerate(HOSTILE)]
)
def test_hostile_brand_uploads_are_refused_with_a_clear_message(
    admin_client, django_capture_on_commit_callbacks, field, name, content, message
):
    response = post_profile(
        admin_client, django_capture_on_commit_callbacks, **{field: SimpleUploadedFile(name, content)}
    )

    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors[field][0]
    newsroom = Newsroom.load()
    assert not getattr(newsroom, field) and newsroom.brand_images == {}


@override_settings(PRESSROOM_MAX_UPLOAD_MB=1)
def test_an_oversize_logo_is_refused(admin_client, django_capture_on_commit_callbacks):
    big = SimpleUploadedFile("logo.png", png_bytes() + b"\x00" * (1024 * 1024 + 1))
    response = post_profile(admin_client, django_capture_on_commit_callbacks, logo=big)

    assert response.status_code == 200
    assert "the limit is 1 MB" in response.context["adminform"].form.errors["logo"][0]


def test_a_hostile_contact_photo_is_refused(admin_client):
    svg = SimpleUploadedFile(
        "me.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    data = {
        "name": "Kari",
        "role": "",
        "email": "",
        "phone": "",
        "is_active": "on",
        "order": "0",
        "photo": svg,
    }

    response = admin_client.post(reverse("admin:newsroom_contact_add"), data)

    assert response.status_code == 200
    assert "SVG and XML files are not accepted" in response.context["adminform"].form.errors["photo"][0]
    assert not Contact.objects.exists()


# Renditions


def test_a_logo_gets_header_email_and_icon_renditions_from_the_worker(
    admin_client, django_capture_on_commit_callbacks
):
    logo = SimpleUploadedFile("logo.png", png_bytes(1200, 300, color=(10, 120, 60)))

    assert post_profile(admin_client, django_capture_on_commit_callbacks, logo=logo).status_code == 302

    images = Newsroom.load().brand_images
    sizes = {name: (entry["width"], entry["height"]) for name, entry in images.items()}
    assert sizes == {"logo": (320, 80), "logo-email": (400, 100), "icon-32": (32, 32), "icon-180": (180, 180)}
    for name in sizes:
        response = admin_client.get(f"/brand/{name}/")
        # An opaque logo makes JPEGs; the favicon is transparent around it: a PNG.
        expected = "image/png" if name == "icon-32" else "image/jpeg"
        assert response.status_code == 200 and response["Content-Type"] == expected
    assert Image.open(default_storage.open(images["icon-32"]["file"])).mode == "RGBA"


def test_a_transparent_logo_stays_transparent_and_a_favicon_leads_to_it(
    client, django_capture_on_commit_callbacks
):
    out = io.BytesIO()
    Image.new("RGBA", (400, 100), (10, 120, 60, 200)).save(out, "PNG")
    with django_capture_on_commit_callbacks(execute=True):
        NewsroomFactory(logo=ContentFile(out.getvalue(), name="logo.png"))

    assert client.get("/brand/logo-email/")["Content-Type"] == "image/png"
    icon = client.get("/brand/icon-32/")
    assert icon["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(icon.streaming_content))).getpixel((0, 0))[3] == 0
    assert client.get("/favicon.ico")["Location"] == "/brand/icon-32/"


def test_a_cover_is_made_in_page_widths_as_jpeg_and_webp_without_its_metadata(
    client, django_capture_on_commit_callbacks
):
    exif = Image.Exif()
    exif[0x010E] = "Description"
    exif[0x8825] = {1: "N", 2: (59.0, 54.0, 0.0)}  # GPS
    with django_capture_on_commit_callbacks(execute=True):
        NewsroomFactory(cover=ContentFile(jpeg_bytes(2400, 800, exif=exif), name="cover.jpg"))

    images = Newsroom.load().brand_images
    assert {name: images[name]["width"] for name in brand.COVER_WIDTHS} == {
        "cover-480": 480, "cover-960": 960, "cover-1600": 1600,
    }  # fmt: skip
    for name in brand.COVER_WIDTHS:
        jpeg, webp = client.get(f"/brand/{name}/"), client.get(f"/brand/{name}.webp/")
        assert jpeg["Content-Type"] == "image/jpeg" and webp["Content-Type"] == "image/webp"
        made = Image.open(io.BytesIO(b"".join(jpeg.streaming_content)))
        assert not dict(made.getexif())  # no GPS, nothing else either


def test_a_small_cover_is_never_enlarged(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        NewsroomFactory(cover=ContentFile(jpeg_bytes(600, 200), name="cover.jpg"))
    images = Newsroom.load().brand_images
    assert [images[name]["width"] for name in brand.COVER_WIDTHS] == [480, 600, 600]


def test_removing_the_logo_removes_its_renditions(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        newsroom = NewsroomFactory(logo=ContentFile(png_bytes(400, 100), name="logo.png"))
    files = [entry["file"] for entry in Newsroom.load().brand_images.values()]
    assert all(default_storage.exists(name) for name in files)

    newsroom = Newsroom.load()
    newsroom.logo = ""
    with django_capture_on_commit_callbacks(execute=True):
        newsroom.save()

    assert Newsroom.load().brand_images == {}
    assert not any(default_storage.exists(name) for name in files)


def test_brand_image_view_serves_only_known_names(client, django_capture_on_commit_callbacks):
    assert client.get("/brand/logo/").status_code == 404  # none made yet
    with django_capture_on_commit_callbacks(execute=True):
        NewsroomFactory(logo=ContentFile(png_bytes(400, 100), name="logo.png"))
    assert client.get("/brand/logo/").status_code == 200
    for name in ("logo.webp", "cover-480", "../logo", "logo.svg", "secret"):
        assert client.get(f"/brand/{name}/").status_code == 404


def test_a_contact_photo_gets_a_square_rendition(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact = ContactFactory(photo=ContentFile(jpeg_bytes(600, 900), name="kari.jpg"))

    response = client.get(f"/contacts/{contact.pk}/photo/square/")
    assert response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (176, 176)
    assert client.get(f"/contacts/{contact.pk}/photo/square.webp/")["Content-Type"] == "image/webp"
    assert client.get(f"/contacts/{contact.pk}/photo/other/").status_code == 404
    Contact.objects.filter(pk=contact.pk).update(is_active=False)
    assert client.get(f"/contacts/{contact.pk}/photo/square/").status_code == 404


# Pages


def header(html):
    return re.search(r'<header class="site-header.*?</header>', html, re.S).group(0)


def test_without_a_brand_the_header_shows_the_name_and_the_sites_colours(client):
    NewsroomFactory()
    html = client.get("/").content.decode()

    assert '<span class="brand__name">Integrerings- og mangfoldsdirektoratet</span>' in header(html)
    assert "site-header--branded" not in html and "--brand:" not in html
    assert '<link rel="icon" href="/static/pressroom/favicon.svg" type="image/svg+xml">' in html
    assert 'class="cover"' not in html


def test_with_a_brand_the_header_has_the_logo_the_colours_and_the_icons(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        NewsroomFactory(
            accent_color="#ffd700",
            logo=ContentFile(png_bytes(1200, 300), name="logo.png"),
            cover=ContentFile(jpeg_bytes(2400, 800), name="cover.jpg"),
            cover_alt_text="Folk i Oslo sentrum.",
        )
    html = client.get("/").content.decode()
    palette = brand.palette("#ffd700")

    assert f"<style>:root {{ {palette.css()} }}</style>" in html
    assert "--on-brand: #000000" in html and f"--accent: {palette.accent}" in html
    assert '<header class="site-header site-header--branded">' in html
    assert (
        '<img class="brand__logo" src="/brand/logo/" alt="Integrerings- og mangfoldsdirektoratet" '
        'width="160" height="40">'
    ) in header(html)
    assert "brand__name" not in header(html)  # the logo's alt text is the name
    assert '<link rel="icon" href="/brand/icon-32/" type="image/png" sizes="32x32">' in html
    assert '<link rel="apple-touch-icon" href="/brand/icon-180/">' in html
    assert (
        '<source type="image/webp" srcset="/brand/cover-480.webp/ 480w, /brand/cover-960.webp/ 960w, '
        '/brand/cover-1600.webp/ 1600w"'
    ) in html
    assert 'width="1600" height="533" alt="Folk i Oslo sentrum."' in html


def test_a_cover_without_alt_text_is_decoration(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        NewsroomFactory(cover=ContentFile(jpeg_bytes(1000, 400), name="cover.jpg"))
    html = client.get("/").content.decode()
    assert re.search(r'<img src="/brand/cover-480/"[^>]* alt=""', html)


def test_a_logo_not_yet_made_is_shown_from_the_upload(client):
    NewsroomFactory(logo=ContentFile(png_bytes(400, 100), name="logo.png"))  # the worker has not run
    assert (
        '<img class="brand__logo" src="/logo/" alt="Integrerings- og mangfoldsdirektoratet" height="40">'
        in (client.get("/").content.decode())
    )


def test_contact_cards_show_the_square_photo_with_alt_text_lazily_and_at_a_fixed_size(
    client, django_capture_on_commit_callbacks
):
    NewsroomFactory()
    with django_capture_on_commit_callbacks(execute=True):
        contact = ContactFactory(
            name="Kari Nordmann", photo=ContentFile(jpeg_bytes(600, 900), name="kari.jpg")
        )
    release = ReleaseFactory(published=True)
    ReleaseContactFactory(release=release, contact=contact)

    # The bokmål pressroom: the alt text in bokmål.
    for path in ("/contacts/", release.get_absolute_url()):
        html = client.get(path).content.decode()
        assert f'<source type="image/webp" srcset="/contacts/{contact.pk}/photo/square.webp/">' in html
        assert (
            f'<img class="contact__photo" src="/contacts/{contact.pk}/photo/square/" '
            'alt="Bilde av Kari Nordmann" width="88" height="88" loading="lazy" decoding="async">'
        ) in html


def test_the_link_preview_card_is_drawn_on_the_accent_colour(client):
    from pressroom.newsroom import linkpreview

    newsroom = NewsroomFactory(accent_color="#ffd700")
    before = linkpreview.card_version(newsroom)
    card = Image.open(io.BytesIO(linkpreview.draw_card(newsroom))).convert("RGB")

    assert card.getpixel((5, 5)) == (255, 215, 0)
    newsroom.accent_color = "#5a2d82"
    assert linkpreview.card_version(newsroom) != before  # a new colour is a new card address


def test_make_brand_images_makes_what_an_older_installation_lacks():
    from django.core.management import call_command

    NewsroomFactory(logo=ContentFile(png_bytes(400, 100), name="logo.png"))  # before the worker ran
    kari = ContactFactory(photo=ContentFile(png_bytes(300, 300), name="kari.png"))
    ContactFactory()  # no photo
    out = io.StringIO()

    call_command("make_brand_images", "--dry-run", stdout=out)
    assert "The logo and cover would get their renditions; 1 contact photos would." in out.getvalue()
    assert Newsroom.load().brand_images == {}

    call_command("make_brand_images", stdout=out)
    assert "Made the renditions of 2 uploads (logo and cover count as one); 0 failed." in out.getvalue()
    assert set(Newsroom.load().brand_images) == {"logo", "logo-email", "icon-32", "icon-180"}
    kari.refresh_from_db()
    assert set(kari.photo_renditions) == {"square"}
    call_command("make_brand_images", stdout=out)
    assert "Made the renditions of 0 uploads" in out.getvalue()


def test_the_admin_links_the_current_cover_to_the_view_that_serves_it(admin_client, client):
    newsroom = NewsroomFactory(cover=ContentFile(jpeg_bytes(800, 300), name="cover.jpg"))

    html = admin_client.get(reverse("admin:newsroom_newsroom_change", args=[newsroom.pk])).content.decode()

    assert re.search(r'<a href="/cover/">cover[^<]*\.jpg</a>', html)  # storage may add a suffix
    response = client.get("/cover/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    Newsroom.objects.update(cover="")
    assert client.get("/cover/").status_code == 404
