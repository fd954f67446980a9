"""An XSS corpus in every field an editor fills in (release title, lead and body, image and document
captions, alt texts, credits, licences, contact names, roles, phones and addresses, topic names, the
newsroom's name, tagline and "About us"), then every public page, feed and email rendered: no script
element but our own, no event handler, no javascript: or data: link, no element the markup could not
have had, and nothing that closes the page's own elements early.

The same pages and emails are loaded in Chromium (tests marked `browser`, `make e2e`): no dialog opens and
the console stays clean (a script that the CSP had to stop shows there too).
"""

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.utils import timezone

from pressroom.newsroom.feeds import xml_safe
from pressroom.newsroom.models import Contact, Newsroom, Release, ReleaseContact, Topic
from subscriptions import emails
from subscriptions.models import Subscriber
from subscriptions.release_email import ReleaseMessage
from tests.factories import AttachmentFactory, ReleaseFactory
from tests.subscriptions.conftest import run_digests
from tests.subscriptions.factories import SubscriberFactory

CORPUS = [
    '<script>alert("xss-1")</script>',
    '"><script>alert("xss-2")</script>',
    "'><img src=x onerror=alert('xss-3')>",
    '<svg onload=alert("xss-4")>',
    '<svg><script>alert("xss-5")</script></svg>',
    'javascript:alert("xss-6")',
    "<a href=\"javascript:alert('xss-7')\">klikk</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg4KTwvc2NyaXB0Pg==">data</a>',
    "<iframe src=\"javascript:alert('xss-9')\"></iframe>",
    '<img src="x" onerror="alert(\'xss-10\')"',
    '</textarea></title></style></script><script>alert("xss-11")</script>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert("xss-12")>',
    '<details open ontoggle=alert("xss-13")>',
    '<body onload=alert("xss-14")>',
    "<object data=\"javascript:alert('xss-15')\"></object>",
    "<style>body{display:none}</style>",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "\u202egnp.exe \u200b\ufeff zero\u200dwidth",
    '<scr\x01ipt>alert("xss-16")</script>',
    '&lt;script&gt;alert("xss-17")&lt;/script&gt;',
    "{{ 7|add:7 }}{% debug %}",
    '</main></article></body></html><div id="pwned">',
    '" onmouseover="alert(\'xss-18\')" x="',
    '<div style="position:fixed;inset:0;background:red" id="pwned">overlay</div>',
    "<!-- <![CDATA[ ]]> -->",
    "<a href=\"jav&#x09;ascript:alert('xss-19')\">tab</a>",
    "<a href=\"  JaVaScRiPt:alert('xss-20')\">case</a>",
    '<form action="https://evil.example/"><button formaction="javascript:alert(21)">x</button></form>',
    "<p>unclosed <strong>bold <em>and <ul><li>list",
    "a soft\x0bline break pasted from a word processor\x0c",
]


def fit(value, field):
    """VALUE cut to the length the database column holds (PostgreSQL refuses longer values)."""
    limit = field.max_length
    return value[:limit] if limit else value


def hostile_content():
    """A newsroom whose every editor field holds the corpus: one published release per entry."""
    newsroom = Newsroom(
        pk=1,
        name=fit("Newsroom " + CORPUS[0], Newsroom._meta.get_field("name")),
        tagline=fit(CORPUS[1], Newsroom._meta.get_field("tagline")),
        about="".join(CORPUS),
        phone=fit(CORPUS[5], Newsroom._meta.get_field("phone")),
        email="presse@example.org",
        website="https://www.example.org/",
    )
    newsroom.save()
    releases = []
    for number, payload in enumerate(CORPUS):
        topic = Topic.objects.create(name=fit(f"{number} {payload}", Topic._meta.get_field("name")))
        contact = Contact.objects.create(
            name=fit(payload, Contact._meta.get_field("name")),
            role=fit(payload, Contact._meta.get_field("role")),
            phone=fit(payload, Contact._meta.get_field("phone")),
            email=fit(f"x{number}@example.org", Contact._meta.get_field("email")),
        )
        release = ReleaseFactory(
            published=True,
            title=fit(f"{number} {payload}", Release._meta.get_field("title")),
            lead=payload + "\n" + payload,
            body=f"<p>{payload}</p>{payload}",
            topics=[topic],
        )
        ReleaseContact.objects.create(release=release, contact=contact)
        for pdf in (False, True):
            AttachmentFactory(
                release=release, pdf=pdf, title=fit(payload, _field("title")), caption=payload,
                alt_text=fit(payload, _field("alt_text")) or "x", credit=fit(payload, _field("credit")),
                licence=fit(payload, _field("licence")),
            )  # fmt: skip
        releases.append(release)
    return releases


def _field(name):
    from pressroom.newsroom.models import Attachment

    return Attachment._meta.get_field(name)


def public_pages(releases):
    year = timezone.localtime(releases[0].published_at).year
    pages = ["/", "/archive/", f"/archive/{year}/", "/contacts/", "/upcoming/", "/search/?q=script"]
    pages += [release.get_absolute_url() for release in releases]
    pages += [topic.get_absolute_url() for topic in Topic.objects.all()]
    pages += ["/media/", "/media/documents/"]
    pages += [a.get_media_url(a.release.language) for release in releases for a in release.attachments.all()]
    pages += [f"/search/?q={quote(payload)}" for payload in CORPUS]  # the query is shown back
    pages += [f"/finnes-ikke/{quote(payload, safe='')}/" for payload in CORPUS[:5]]  # so is a 404's path
    return pages


# What inert markup looks like

FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "svg", "math", "details", "frame", "frameset",
                  "applet", "textarea", "mglyph", "mtext"}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "srcset"}
BAD_SCHEMES = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)
INVISIBLE = re.compile(r"[\x00-\x20\x7f-\xa0\u200b-\u200f\ufeff]")


class Inertness(HTMLParser):
    """Collects everything in a page that could run script or escape its element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.in_body = False
        self.script = None  # the type of the script element being read
        self.counts = {"main": 0, "body": 0, "title": 0}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.counts:
            self.counts[tag] += 1
        if tag == "body":
            self.in_body = True
        if tag in FORBIDDEN_TAGS or (tag == "style" and self.in_body):
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("meta refresh")
        if attrs.get("id") == "pwned":
            self.problems.append('an element with id="pwned"')
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            dangerous = name in URL_ATTRIBUTES and value and BAD_SCHEMES.match(INVISIBLE.sub("", value))
            if dangerous and not (tag == "img" and value.startswith("data:image/")):
                self.problems.append(f"<{tag} {name}={value[:40]!r}>")
        if tag == "script":
            if attrs.get("src", "").startswith("/static/") and "src" in attrs:
                self.script = "src"
            elif attrs.get("type") == "application/ld+json":
                self.script = "json"
            else:
                self.problems.append(f"<script {attrs}>")
                self.script = "bad"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self.script = None

    def handle_data(self, data):
        if self.script == "json":
            json.loads(data)  # the JSON-LD stays JSON: nothing closed the element early
        elif self.script == "src" and data.strip():
            self.problems.append("a script element with a src and a body")


def problems_in(html, *, once=("main", "body", "title")):
    """What in HTML could run script or escape its element; ONCE are the elements a whole page has once."""
    audit = Inertness()
    audit.feed(html)
    audit.close()
    for tag in once:
        if audit.counts[tag] != 1:
            audit.problems.append(f"{audit.counts[tag]} <{tag}> elements")
    return audit.problems


EMAIL = ("body", "title")


@pytest.mark.django_db
def test_every_public_page_shows_the_corpus_as_inert_text(client, settings):
    settings.PRESSROOM_PAGE_SIZE = 100
    releases = hostile_content()
    found = {}
    for url in public_pages(releases):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        if problems := problems_in(response.content.decode()):
            found[url] = problems
    assert not found, found
    # The text is all there, escaped: nothing was silently dropped from a title.
    html = client.get(releases[0].get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(&quot;xss-1&quot;)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_feeds_stay_well_formed_and_their_html_inert(client, settings):
    settings.PRESSROOM_FEED_SIZE = 100
    releases = hostile_content()
    titles = {xml_safe(release.title) for release in releases}
    for url in ["/feed/rss/", "/feed/atom/", "/sitemap.xml"]:
        root = ET.fromstring(client.get(url).content)  # well-formed XML whatever the titles hold
        if url == "/sitemap.xml":
            continue
        shown = {el.text for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "title"}
        assert titles <= shown, url  # each title is one text node, the exact string
        # The items' HTML (the channel's description is plain text, like the Atom subtitle).
        items = [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] in ("item", "entry")]
        for el in (child for item in items for child in item):
            if el.tag.rsplit("}", 1)[-1] in ("description", "content", "summary") and el.text:
                assert not problems_in(el.text, once=()), (url, problems_in(el.text, once=()))
    feed = json.loads(client.get("/feed/json/").content)
    assert titles <= {item["title"] for item in feed["items"]}
    for item in feed["items"]:
        assert not problems_in(item.get("content_html", ""), once=())
    for release in releases[:3]:
        data = client.get(f"/api/v1/releases/{release.slug}/").json()
        assert data["title"] == release.title
        assert not problems_in(data["body"], once=())


@pytest.mark.django_db
def test_every_email_shows_the_corpus_as_inert_text(mailoutbox):
    releases = hostile_content()
    for release in releases:
        message = ReleaseMessage(release)
        assert not problems_in(message.html, once=EMAIL), (
            release.title,
            problems_in(message.html, once=EMAIL),
        )
        assert "\n" not in message.subject and "\r" not in message.subject
    subscriber = SubscriberFactory(language="nb", frequency=Subscriber.Frequency.DAILY)
    # A day after the releases: their daily digest has gone, whatever the time of day.
    run_digests("daily", now=releases[0].published_at + timezone.timedelta(days=1))
    emails.confirmation_message(SubscriberFactory(pending=True, language="nb")).send()
    assert [m.to for m in mailoutbox] == [[subscriber.email], mailoutbox[1].to]
    for message in mailoutbox:
        html = message.alternatives[0][0]
        assert not problems_in(html, once=EMAIL), problems_in(html, once=EMAIL)


# In Chromium (the browser suite's fixtures, see conftest.py), on a live server with the real CSP.

LAYOUT = """() => ({
  main: document.querySelectorAll("main").length,
  pwned: document.getElementById("pwned") !== null,
  footerInsideMain: document.querySelector("main .site-footer") !== null,
  fixedInsideMain: [...document.querySelectorAll("main *")].filter(
    (el) => getComputedStyle(el).position === "fixed").length,
})"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_script_runs_and_nothing_leaves_its_element_in_chromium(new_page, settings):
    settings.PRESSROOM_PAGE_SIZE = 100
    releases = hostile_content()
    page = new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append((page.url, dialog.message)), dialog.dismiss()))

    for url in public_pages(releases):
        page.goto(url)
        layout = page.evaluate(LAYOUT)
        assert layout == {"main": 1, "pwned": False, "footerInsideMain": False, "fixedInsideMain": 0}, url
    # Emails have no CSP to fall back on: what a mail program showing the HTML part would run.
    for release in releases:
        page.set_content(ReleaseMessage(release).html, wait_until="load")
        assert page.evaluate("document.getElementById('pwned') === null"), release.title
    assert dialogs == []
