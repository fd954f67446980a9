"""An editor in the admin: writes a release in the rich-text editor, attaches an image and a PDF, adds a
press contact, previews, schedules it, and watches it publish and its mailing go out to the end."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from pressroom.newsroom import tasks
from pressroom.newsroom.models import Release
from subscriptions.models import Delivery, Mailing
from tests.factories import pdf_bytes, png_bytes
from tests.subscriptions.factories import SubscriberFactory

from .conftest import message_to, open_email, screenshot

pytestmark = pytest.mark.browser

# One recipient per batch at two a second (one per sender task): the mailing takes seconds, long enough
# for the editor to see the progress panel move.
WORKER_ENV = {"MAILING_BATCH_SIZE": "1", "MAILING_RATE_LIMIT": "2", "MAILING_PARALLELISM": "2"}
SUBSCRIBERS = 8
TITLE = "Nye tall for bosetting av flyktninger"
PASSWORD = "correct horse battery staple"


def log_in(page):
    User.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    page.goto("/admin/")
    page.locator("#id_username").fill("editor")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/")


def write_body(page):
    """Type the body as an editor does: markdown-like shortcuts for the subheading and the quote, the
    toolbar's button for the list."""
    editor = page.locator(".field-body .ProseMirror[contenteditable=true]")
    editor.click()
    keyboard = page.keyboard
    keyboard.type("Kommunene bosatte flere flyktninger i år enn i fjor.")
    keyboard.press("Enter")
    keyboard.type("## Hovedfunn")  # "## " starts a level-2 heading
    keyboard.press("Enter")
    keyboard.type("> Kommunene har gjort en stor innsats, sier direktøren.")  # "> " starts a quote
    keyboard.press("Enter")
    keyboard.press("Enter")  # an empty paragraph leaves the quote
    page.locator(".field-body .prose-menubar button[data-name=bulletList]").click()
    keyboard.type("Flere kommuner bosatte")
    keyboard.press("Enter")
    keyboard.type("Raskere bosetting")
    keyboard.press("Enter")
    keyboard.press("Enter")  # an empty item leaves the list
    keyboard.type("Tallene er foreløpige.")
    return editor


def add_inline(page, group):
    page.locator(f"#{group}-group .add-row a").click()
    return page.locator(f"#{group}-group .inline-related:not(.empty-form)").last


def test_editor_writes_previews_schedules_and_watches_the_mailing(new_page, demo, mail):
    subscribers = [SubscriberFactory(language="nb") for _ in range(SUBSCRIBERS)]
    page = new_page()
    log_in(page)

    page.get_by_role("link", name="Releases", exact=True).first.click()
    page.get_by_role("link", name="Add release").click()
    page.wait_for_url("**/admin/newsroom/release/add/")
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_language").select_option("nb")
    page.locator("#id_lead").fill("IMDi legger fram nye tall for bosetting.")

    editor = write_body(page)
    assert editor.locator("h2").inner_text() == "Hovedfunn"
    assert (
        editor.locator("blockquote").inner_text() == "Kommunene har gjort en stor innsats, sier direktøren."
    )
    assert editor.locator("ul > li").all_inner_texts() == ["Flere kommuner bosatte", "Raskere bosetting"]
    assert editor.locator(":scope > p").last.inner_text() == "Tallene er foreløpige."

    # A topic, through the admin's two-box selector.
    page.locator("#id_topics_from").select_option(label="Bosetting")
    page.locator("#id_topics_add").click()

    # An image with its alt text, and a PDF.
    image = add_inline(page, "attachments")
    image.locator("input[type=file][name$='-file']").set_input_files(
        files=[
            {"name": "bosetting.png", "mimeType": "image/png", "buffer": png_bytes(1200, 800, (31, 95, 139))}
        ]
    )
    image.locator("input[name$='-title']").fill("Bosetting i kommunene")
    image.locator("[name$='-alt_text']").fill("Blått felt: illustrasjon til tallene for bosetting.")
    document = add_inline(page, "attachments")
    document.locator("input[type=file][name$='-file']").set_input_files(
        files=[
            {"name": "bosetting-2025.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("Bosetting")}
        ]
    )
    document.locator("input[name$='-title']").fill("Tabell: bosetting per fylke")

    # A press contact, through the autocomplete.
    contact = add_inline(page, "release_contacts")
    contact.locator(".select2-selection").click()
    page.locator(".select2-search__field").fill("Kari")
    page.locator(".select2-results__option", has_text="Kari Nordmann").click()
    screenshot(page, "admin-release-form")

    page.locator("input[name=_continue]").click()
    page.wait_for_url(re.compile(r"/admin/newsroom/release/\d+/change/$"))
    assert page.locator(".messagelist .success").count() == 1
    release = Release.objects.get(title=TITLE)
    assert release.status == Release.Status.DRAFT
    assert "<h2>Hovedfunn</h2>" in release.body
    assert (
        "<blockquote><p>Kommunene har gjort en stor innsats, sier direktøren.</p></blockquote>"
        in release.body
    )
    assert re.search(
        r"<ul><li><p>Flere kommuner bosatte</p></li><li><p>Raskere bosetting</p></li></ul>", release.body
    )
    assert [a.kind for a in release.attachments.all()] == ["image", "document"]
    assert release.header_image.alt_text == "Blått felt: illustrasjon til tallene for bosetting."
    assert [rc.contact.name for rc in release.release_contacts.all()] == ["Kari Nordmann"]
    assert [t.slug for t in release.topics.all()] == ["bosetting"]

    # Previews it: the page as the public will see it, marked as a preview of something not public.
    with page.context.expect_page() as new_tab:
        page.locator(".object-tools a.pressroom-previewlink").click()
    preview = new_tab.value
    preview.wait_for_load_state()
    assert preview.locator(".preview-banner").count() == 1
    assert preview.locator("h1").inner_text() == TITLE
    body = preview.locator(".release__body")
    assert body.locator("h2").inner_text() == "Hovedfunn"
    assert body.locator("blockquote").count() == 1
    assert body.locator("ul li").count() == 2
    hero = preview.locator(".release__hero img")
    assert hero.get_attribute("alt") == "Blått felt: illustrasjon til tallene for bosetting."
    assert hero.evaluate("img => img.complete && img.naturalWidth > 0")
    assert preview.locator(".document-list a").inner_text() == "Tabell: bosetting per fylke"
    assert preview.locator(".release__section .contact__name").inner_text() == "Kari Nordmann"
    screenshot(preview, "admin-preview")
    preview.close()
    # Not public yet.
    assert page.request.get(release.get_absolute_url()).status == 404

    # Sends a test to themselves: the real email, marked as a test, to the editor's own address only.
    page.get_by_role("button", name="Send test to me").click()
    page.wait_for_url(re.compile(r"/admin/newsroom/release/\d+/change/$"))
    assert page.locator(".messagelist .success").inner_text() == "A test was sent to editor@example.org."
    test_email = message_to(mail, "editor@example.org", subject=f"[TEST] {TITLE}")
    assert [str(m["To"]) for m in mail.messages] == ["editor@example.org"]
    # A draft's images are served to staff sessions only, and a mail program has none: in the test email
    # they show as their alt text. (Not watched for console errors: that 404 is expected here.)
    test_page = open_email(page.context.new_page(), test_email)
    assert test_page.locator(".test").count() == 1
    assert test_page.locator("h1").inner_text() == TITLE
    assert (
        test_page.locator("img").first.get_attribute("alt")
        == "Blått felt: illustrasjon til tallene for bosetting."
    )
    test_page.close()

    # Schedules it a few seconds ahead (the form takes seconds too).
    page.locator(".object-tools a.pressroom-schedulelink").click()
    page.wait_for_url("**/schedule/")
    at = timezone.localtime(timezone.now() + timedelta(seconds=8)).replace(microsecond=0)
    page.locator("#id_publish_at").fill(at.strftime("%Y-%m-%dT%H:%M:%S"))
    page.locator("#content-main input[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/newsroom/release/\d+/change/$"))
    assert page.locator(".pressroom-badge--scheduled").count() == 1
    release.refresh_from_db()
    assert (release.status, release.published_at) == (Release.Status.SCHEDULED, at)
    assert page.request.get(release.get_absolute_url()).status == 404

    # Its time comes: the page is public at once (the publication rule reads the time); the periodic
    # job (beat sends it every 15 s) runs on the worker, marks it published and starts the mailing.
    time.sleep(max(0, (at - timezone.now()).total_seconds()) + 0.5)
    assert page.request.get(release.get_absolute_url()).status == 200
    assert not Mailing.objects.filter(release=release).exists()
    tasks.publish_due_releases.delay()
    deadline = time.monotonic() + 30
    while not Mailing.objects.filter(release=release).exists():
        assert time.monotonic() < deadline, "the release was not published by the worker"
        time.sleep(0.2)
    page.reload()
    assert page.locator(".pressroom-badge--published").count() == 1

    # Watches the mailing: Subscriptions › Mailings › the mailing; the panel polls until done.
    page.goto("/admin/")
    page.locator("#content-main").get_by_role("link", name="Mailings").click()
    page.locator("#result_list a", has_text=TITLE).click()
    panel = page.locator("#mailing-progress")
    status = panel.locator("[data-field=status_label]")
    seen = [status.inner_text()]
    sent_seen = [int(panel.locator("[data-field=sent]").inner_text())]
    deadline = time.monotonic() + 60
    while seen[-1] != "Done":
        assert time.monotonic() < deadline, f"the mailing did not finish; the panel showed {seen}"
        time.sleep(0.25)
        seen.append(status.inner_text())
        sent_seen.append(int(panel.locator("[data-field=sent]").inner_text()))
    screenshot(page, "admin-mailing-progress")
    assert "Sending" in seen, f"the panel never showed the mailing in progress: {seen}"
    assert sent_seen == sorted(sent_seen)
    assert sent_seen[0] < SUBSCRIBERS
    assert panel.locator("[data-field=recipients]").inner_text() == str(SUBSCRIBERS)
    assert panel.locator("[data-field=sent]").inner_text() == str(SUBSCRIBERS)
    assert panel.locator("[data-field=bar]").evaluate("bar => [bar.value, bar.max]") == [
        SUBSCRIBERS,
        SUBSCRIBERS,
    ]

    mailing = Mailing.objects.get(release=release)
    assert mailing.status == Mailing.Status.DONE
    assert mailing.deliveries.filter(status=Delivery.Status.SENT).count() == SUBSCRIBERS
    received = [m for m in mail.messages if str(m["Subject"]) == TITLE]
    assert sorted(str(m["To"]) for m in received) == sorted(s.email for s in subscribers)
