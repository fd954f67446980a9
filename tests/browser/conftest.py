"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

`playwright install` downloads browsers from a CDN, which this project does not use: the tests launch the
system's Chromium (`apt-get install -y chromium`). Without it they skip on a laptop and fail in CI
(CI=true), where a silently skipped browser suite would look like a passing one.
"""

import io
import json
import os
import re
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = Path(__file__).parent / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(django_settings.BASE_DIR) / "tests" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what, how):
    """Skip on a laptop, fail in CI: a browser suite that skips in CI would pass without running."""
    message = f"{what} is missing: {how}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the browser tests are required here)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        missing(
            f"Chromium ({CHROMIUM})", "install it with `apt-get install -y chromium` to run the browser tests"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM calls
    # from a thread with a running loop; the tests' ORM calls are ordinary synchronous ones.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(live_server, settings):
    """The live server's URL, with the settings that name the site pointing at it."""
    settings.SITE_URL = live_server.url
    settings.SITE_HOST = live_server.url.removeprefix("http://")
    settings.CSRF_TRUSTED_ORIGINS = [live_server.url]
    # A person in a browser driven by a test types faster than the bot check allows.
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 0
    return live_server.url


class PageErrors:
    """Console errors and uncaught exceptions of a page: a CSP violation shows up here.

    A page the test opens on purpose with an error status (404, 400) logs "Failed to load resource" too:
    errors about a top-level document are left out, errors about what a page loads are kept.
    """

    IGNORED = ("/favicon.ico",)

    def __init__(self, page):
        self.messages = []  # (text, url)
        self.documents = set()
        page.on("pageerror", lambda exc: self.messages.append((f"uncaught: {exc}", "")))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message):
        if message.type == "error":
            self.messages.append((f"console: {message.text}", (message.location or {}).get("url", "")))

    def _response(self, response):
        if response.request.resource_type == "document":
            self.documents.add(response.url)

    @property
    def errors(self):
        return [
            f"{text} ({url})"
            for text, url in self.messages
            if not url.endswith(self.IGNORED)
            and not (text.startswith("console: Failed to load resource") and url in self.documents)
        ]


@pytest.fixture
def new_page(browser, site):
    """new_page(viewport=..., locale=..., **context_options): a page in a fresh browser context.

    The interface is English unless asked otherwise: assertions read the English source strings.
    Console errors (CSP violations among them) fail the test at teardown.
    """
    contexts, watchers = [], []

    def make(viewport=DESKTOP, locale="en-GB", **options):
        context = browser.new_context(
            viewport=viewport, locale=locale, base_url=site, accept_downloads=True, **options
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        watchers.append(PageErrors(page))
        return page

    yield make
    for context in contexts:
        context.close()
    errors = [error for watcher in watchers for error in watcher.errors]
    assert not errors, "errors in the browser console:\n" + "\n".join(errors)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def provider(oidc_server, site, settings):
    """The single sign-on pointed at the provider on loopback, with password login off."""
    from tests import oidc

    oidc.configure(settings, oidc_server, PASSWORD_LOGIN=False)
    return oidc_server


def start_sso_login(page):
    """Open the admin's login and follow "Log in with Testdirektoratet" to the provider's page."""
    # The provider's page takes its stylesheet from a CDN, which the tests do not reach.
    page.context.route(
        "https://cdn.jsdelivr.net/**", lambda route: route.fulfill(body="", content_type="text/css")
    )
    page.goto("/admin/")
    page.get_by_role("link", name="Log in with Testdirektoratet").click()


def authorize_at_provider(page, provider, sub):
    """SUB approves the login on the provider's page; back on the admin's start page."""
    page.wait_for_url(f"{provider.url}/oauth2/authorize?**")
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url("**/admin/")


def review_publishing(page, release):
    """From RELEASE's form, "Save and publish…" to its confirmation page; the page's text."""
    page.goto(f"/admin/newsroom/release/{release.pk}/change/")
    page.get_by_role("button", name="Save and publish…").click()
    page.wait_for_url(f"**/admin/newsroom/release/{release.pk}/publish/")
    return page.locator("#content-main").inner_text()


def confirm_publishing(page, release):
    """ "Yes, publish now" on RELEASE's confirmation page; the success message back on its form."""
    page.get_by_role("button", name="Yes, publish now").click()
    page.wait_for_url(re.compile(rf"/admin/newsroom/release/{release.pk}/change/$"))
    return page.locator(".messagelist .success").inner_text()


def sso_log_in(page, provider, sub):
    """Log SUB in to the admin through the provider, as a person does in the browser."""
    start_sso_login(page)
    authorize_at_provider(page, provider, sub)


def screenshot(page, name, *, full_page=True):
    """A screenshot in tests/screenshots/ (git-ignored), named by page and viewport width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def horizontal_overflow(page):
    """How many CSS pixels the page is wider than the viewport (0 when nothing scrolls sideways)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def seed_demo():
    """The IMDi demo newsroom (the seed release, its chart and PDF, contacts, topics, 17 more releases)."""
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    # The journeys count the mail they cause: they bring their own subscribers, not the demo's.
    from subscriptions.models import Subscriber

    Subscriber.objects.all().delete()


@pytest.fixture
def demo(db):
    seed_demo()


VIDEO_SLUG = "video-fra-direktoratet"


@pytest.fixture
def video_release(demo):
    """A published release with an uploaded video (captions and poster), a YouTube and a Vimeo link."""
    from tests.factories import AttachmentFactory, ReleaseFactory, VideoLinkFactory

    release = ReleaseFactory(published=True, language="nb", title="Video fra direktoratet", slug=VIDEO_SLUG)
    AttachmentFactory(release=release, video=True, title="Intervju med direktøren", credit="Video: IMDi")
    VideoLinkFactory(release=release, title="Fra konferansen", order=1)
    VideoLinkFactory(release=release, provider="vimeo", video_id="76979871", title="Fra Arendalsuka", order=2)
    return release


SEED_SLUG = "flere-flyktninger-over-til-arbeid-etter-endt-introduksjonsprogram"
SEED_EN_SLUG = "more-refugees-move-into-work-after-the-introduction-programme"
# The demo's nynorsk release, a version of the bokmål settlement release (with an English one too).
SEED_NN_SLUG = "kommunane-blir-bedne-om-a-busetje-flyktningar-neste-ar"
SETTLEMENT_SLUG = "anmodning-om-bosetting-av-flyktninger-neste-ar"


# Accessibility


@pytest.fixture(scope="session")
def axe_source():
    if not AXE_JS.exists():
        missing(f"axe-core ({AXE_JS})", "run `make axe` (npm install of axe-core into tests/browser/.axe)")
    return AXE_JS


AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return {
    version: axe.version,
    passes: results.passes.length,
    incomplete: results.incomplete.length,
    violations: results.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")),
    })),
  };
}"""
BLOCKING = ("serious", "critical")


def axe_audit(page, axe_js, label):
    """Run axe-core on PAGE, print its violations by impact (and keep them for the run's summary)."""
    page.add_script_tag(path=str(axe_js))
    results = page.evaluate(AXE_RUN)
    violations = results["violations"]
    counts = {impact: 0 for impact in ("critical", "serious", "moderate", "minor")}
    for violation in violations:
        counts[violation["impact"]] = counts.get(violation["impact"], 0) + 1
    summary = ", ".join(f"{impact} {count}" for impact, count in counts.items())
    # Signed tokens in the address make the lines long and say nothing about the page.
    path = re.sub(r"/[^/]{30,}/", "/…/", page.url.removeprefix(django_settings.SITE_URL))
    lines = [
        f"{label} ({path}): {summary}; rules passed {results['passes']}, "
        f"to review by hand {results['incomplete']} (axe {results['version']})"
    ]
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(
            f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({len(nodes)}: {nodes[:3]})"
        )
    print("\n".join(f"axe {line}" for line in lines))
    AXE_REPORT.extend(lines)
    return violations


AXE_REPORT = []


def pytest_terminal_summary(terminalreporter):
    """The axe results of the run, whether or not output is captured."""
    if AXE_REPORT:
        terminalreporter.section("axe-core: violations by impact, per page")
        for line in AXE_REPORT:
            terminalreporter.write_line(line)


def blocking(violations):
    """The serious and critical violations, and a message that lists them."""
    found = [v for v in violations if v["impact"] in BLOCKING]
    return found, "serious or critical axe violations:\n" + json.dumps(found, indent=1, ensure_ascii=False)


# Mail: a real Celery worker sends to an SMTP sink on loopback, with links to the live server.

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture(scope="module")
def mail_worker(request, django_db_setup, live_server):
    """An SMTP sink and a Celery worker on the test database that sends to it (one per test module;
    a module's WORKER_ENV adds settings for its worker)."""
    from tests.integration import celery_worker, smtp_sink

    with smtp_sink() as sink:
        overrides = {
            "SITE_URL": live_server.url,
            "EMAIL_BACKEND": SMTP_BACKEND,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink.port),
            **getattr(request.module, "WORKER_ENV", {}),
        }
        with celery_worker(overrides) as worker:
            yield sink, worker


@pytest.fixture
def mail(mail_worker, site, settings):
    """The SMTP sink, empty, with this process queueing tasks for the worker instead of running them.

    What the live server sends itself (none of the journeys' emails, but an editor's test send could)
    goes to the same sink.
    """
    from pressroom.celery import app

    sink, worker = mail_worker
    sink.messages.clear()
    sink.envelopes.clear()
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield sink
    finally:
        app.conf.task_always_eager = eager
        # Shown only when the test fails (pytest captures it otherwise).
        print("---- Celery worker log (last 60 lines)\n" + "\n".join(worker.lines[-60:]))


def message_to(sink, address, *, subject=None, timeout=30):
    """The first message in SINK to ADDRESS (with SUBJECT if given), waiting for it to arrive."""
    deadline = time.monotonic() + timeout
    while True:
        for message in list(sink.messages):
            if address in str(message["To"]) and (subject is None or str(message["Subject"]) == subject):
                return message
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            seen = [(str(m["To"]), str(m["Subject"])) for m in sink.messages]
            pytest.fail(
                f"no message to {address} ({subject or 'any subject'}) within {timeout} s; got {seen}"
            )
        time.sleep(0.2)


def html_part(message):
    return message.get_body(preferencelist=("html",)).get_content()


def text_part(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def open_email(page, message):
    """Show MESSAGE's HTML part in PAGE, as a mail program would; its links lead to the live server."""
    page.set_content(html_part(message), wait_until="load")
    return page


# The newsroom's brand

BRAND_ACCENT = "#ffd700"  # too light for text on white: links use a darker shade of it


def brand_images():
    """A logo (dark shapes on transparency, as logos are drawn: unreadable on a dark background without
    its plate) and a cover photo, as PNG and JPEG bytes."""
    from PIL import Image, ImageDraw

    logo = Image.new("RGBA", (600, 150), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.rectangle((0, 20, 110, 130), fill=(20, 30, 60, 255))
    draw.rectangle((140, 50, 590, 100), fill=(20, 30, 60, 255))
    cover = Image.linear_gradient("L").resize((2400, 800)).convert("RGB")
    images = []
    for image, image_format in ((logo, "PNG"), (cover, "JPEG")):
        out = io.BytesIO()
        image.save(out, image_format)
        images.append(out.getvalue())
    return images


@pytest.fixture
def branded(demo):
    """The demo newsroom with an accent colour, a logo and a cover, their renditions made (as the worker
    would) and contact photos."""
    from django.core.files.base import ContentFile

    from pressroom.newsroom.models import Contact, Newsroom

    logo, cover = brand_images()
    newsroom = Newsroom.load()
    newsroom.accent_color = BRAND_ACCENT
    newsroom.logo.save("logo.png", ContentFile(logo), save=False)
    newsroom.cover.save("cover.jpg", ContentFile(cover), save=False)
    newsroom.cover_alt_text = "A grey gradient."
    newsroom.save()
    newsroom.make_brand_images()
    for contact in Contact.objects.filter(is_active=True):
        contact.photo.save("photo.jpg", ContentFile(cover), save=True)
        contact.make_photo_renditions()
    return Newsroom.load()
