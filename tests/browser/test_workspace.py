"""The workspace in a browser, in bokmål: the rich-text editor's menu and link dialog, the two-box topic
selector and every other label of the release form without English; axe on the start page and the
release form; the object tools beside, not over, a release's title; at 1280 and 390 px."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from pressroom.newsroom.models import Release
from subscriptions.models import Delivery, Mailing
from tests.factories import ReleaseFactory
from tests.pressroom.dashboard.english import english_in, english_strings

from .conftest import DESKTOP, PHONE, axe_audit, blocking, screenshot

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"

VISIBLE_TEXTS = """() => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    // An icon font draws its ligature (format_bold) as an icon, not as a word.
    if (parent.closest("script, style, template, textarea, [hidden], .material-icons")) continue;
    if (walker.currentNode.textContent.trim()) texts.push(walker.currentNode.textContent);
  }
  for (const element of document.body.querySelectorAll("[title], [aria-label], [placeholder], [alt]")) {
    for (const name of ["title", "aria-label", "placeholder", "alt"]) {
      if (element.getAttribute(name)) texts.push(element.getAttribute(name));
    }
  }
  return texts;
}"""

# The words of the elements' text that a line break cuts in two.
BROKEN_WORDS = r"""elements => elements.flatMap(element => {
  const broken = [];
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (const word of node.textContent.matchAll(/\S+/g)) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const lines = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
      if (lines.size > 1) broken.push(word[0]);
    }
  }
  return broken;
})"""


@pytest.fixture
def nb_editor(new_page, db):
    """new(viewport) -> a page logged in as a superuser, interface in bokmål."""
    User.objects.create_superuser("redaktor", "redaktor@example.org", PASSWORD)

    def new(viewport=DESKTOP, **options):
        page = new_page(viewport=viewport, locale="nb-NO", **options)
        page.goto("/admin/login/")
        page.locator("#id_username").fill("redaktor")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#login-form [type=submit]").click()
        page.wait_for_url("**/admin/")
        return page

    return new


def english_on(page):
    texts = page.evaluate(VISIBLE_TEXTS)
    return english_in(texts, english_strings("nb")) + english_in(texts, english_strings("nb", "djangojs"))


def test_the_release_form_and_its_editor_speak_bokmal(nb_editor):
    page = nb_editor()
    page.goto("/admin/newsroom/release/add/")
    menubar = page.locator(".field-body .prose-menubar")
    menubar.wait_for()
    assert menubar.locator("button[data-name=bold]").get_attribute("title") == "fet"
    assert page.locator(".selector .helptext").first.inner_text() == (
        "Velg temaer ved å merke dem og deretter velge pilknappen «Velg»."
    )
    # The block-style menu's options, as the editor writes them into its picker.
    options = menubar.locator(".prose-menubar__option")
    assert options.all_inner_texts() == ["Overskrift 2", "Overskrift 3", "Overskrift 4", "Avsnitt"]
    page.locator(".field-body .ProseMirror[contenteditable=true]").first.click()
    page.keyboard.type("Les mer hos direktoratet")
    # The link dialog, through gettext.
    page.keyboard.press("Control+A")
    menubar.locator("button[data-name=link]").click()
    dialog = page.locator("dialog[open]")
    dialog.wait_for()
    dialog_text = dialog.inner_text()
    assert "Rediger lenke" in dialog_text and "Adresse (URL)" in dialog_text, dialog_text
    assert dialog.get_by_role("button", name="Oppdater").count() == 1
    assert not english_on(page), english_on(page)
    screenshot(page, "admin-release-form-nb")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_axe_finds_no_serious_violation_on_the_start_page_and_the_release_form(
    nb_editor, axe_source, viewport
):
    release = ReleaseFactory(title="Flere flyktninger over til arbeid etter endt introduksjonsprogram")
    ReleaseFactory(title="Bosettingstall for 2026", status=Release.Status.DRAFT, published_at=None)
    page = nb_editor(viewport=viewport, bypass_csp=True)
    for label, path in (
        ("admin-start", "/admin/"),
        ("admin-release-add", "/admin/newsroom/release/add/"),
        ("admin-release-change", f"/admin/newsroom/release/{release.pk}/change/"),
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        found, message = blocking(axe_audit(page, axe_source, f"{label} @{viewport['width']}px"))
        screenshot(page, f"{label}-nb")
        assert not found, message


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_the_object_tools_do_not_cover_the_release_title(nb_editor, viewport):
    release = ReleaseFactory(
        title="Flere flyktninger over til arbeid etter endt introduksjonsprogram i kommunene i år",
        status=Release.Status.DRAFT,
        published_at=None,
    )
    page = nb_editor(viewport=viewport)
    page.goto(f"/admin/newsroom/release/{release.pk}/change/")
    tools = page.locator(".object-tools").bounding_box()
    for heading in page.locator("#content h1, #content h2").all():
        box = heading.bounding_box()
        if box is None:
            continue
        overlaps = not (
            tools["y"] + tools["height"] <= box["y"]
            or box["y"] + box["height"] <= tools["y"]
            or tools["x"] + tools["width"] <= box["x"]
            or box["x"] + box["width"] <= tools["x"]
        )
        assert not overlaps, (heading.inner_text(), tools, box)
    screenshot(page, "admin-release-change-nb", full_page=False)


def test_the_start_page_fills_in_a_mailings_progress(nb_editor):
    release = ReleaseFactory(
        title="Sendt melding", status=Release.Status.PUBLISHED, published_at=timezone.now()
    )
    mailing = Mailing.objects.create(
        release=release, kind=Mailing.Kind.RELEASE, status=Mailing.Status.SENDING, recipients=3
    )
    for n, status in enumerate((Delivery.Status.SENT, Delivery.Status.SENT, Delivery.Status.QUEUED)):
        Delivery.objects.create(mailing=mailing, email=f"mottaker{n}@example.org", status=status)
    page = nb_editor()
    row = page.locator(f"tr[data-progress-url$='/{mailing.pk}/progress/']")
    expect(row.locator("[data-field=sent]")).to_have_text("2")
    expect(row.locator("[data-field=status_label]")).to_have_text("Sender")
    assert row.locator("progress").evaluate("bar => [bar.value, bar.max]") == [2, 3]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_start_pages_mailings_table_breaks_no_word_in_two(nb_editor, viewport):
    published = {"status": Release.Status.PUBLISHED, "published_at": timezone.now()}
    release = ReleaseFactory(title="Flere flyktninger over til arbeid", **published)
    Mailing.objects.create(release=release, kind=Mailing.Kind.RELEASE, status=Mailing.Status.DONE)
    page = nb_editor(viewport)

    cells = page.locator("#start-mailings + table").locator("th, td")
    assert cells.count() == 6
    assert cells.evaluate_all(BROKEN_WORDS) == []
