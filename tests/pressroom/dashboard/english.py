"""Finding English in a Norwegian page: the interface strings (msgids) of Django's admin and auth catalogs,
our own catalogs and the workspace's JavaScript catalog that bokmål translates to something else, or does
not translate at all, matched against the page's visible text nodes and the attributes people hear or see
(title, aria-label, placeholder, alt, value of buttons).

A text node must BE the string (a whole label, a whole button, a whole help text, with placeholders such as
%s matched by anything), so a release that mentions "Update" in a sentence is not flagged.
"""

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import django
from django.conf import settings
from django.utils import translation

CONTRIB = Path(django.__file__).parent / "contrib"
WORKSPACE_LOCALE = Path(settings.BASE_DIR) / "pressroom" / "dashboard" / "locale"
# The English source strings of each domain: what the server renders, and what the admin's scripts do.
SOURCES = {
    "django": [
        CONTRIB / "admin" / "locale" / "en" / "LC_MESSAGES" / "django.po",
        CONTRIB / "auth" / "locale" / "en" / "LC_MESSAGES" / "django.po",
        Path(settings.BASE_DIR) / "pressroom" / "locale" / "en" / "LC_MESSAGES" / "django.po",
    ],
    "djangojs": [
        CONTRIB / "admin" / "locale" / "en" / "LC_MESSAGES" / "djangojs.po",
        WORKSPACE_LOCALE / "nb" / "LC_MESSAGES" / "djangojs.po",
    ],
}
ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
# Strings that are the same in Norwegian, or names.
SAME = {
    "Status",
    "Slug",
    "URL",
    "API",
    "E-post",
    "OK",
    "Webhook",
    "Webhooks",
    "ID",
    "Tema",
    "Logo",
    "Filter",
    "Pressroom",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def msgids(path):
    """The msgids (singular and plural) of a .po file."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r'^(?:msgid|msgid_plural) ((?:".*"\n?)+)', text, re.MULTILINE):
        value = "".join(ast.literal_eval(line) for line in match.group(1).split("\n") if line.strip())
        if value:
            found.append(value)
    return found


def catalog(language, domain):
    """The merged translations the site serves in LANGUAGE: the server's, or the admin's jsi18n."""
    if domain == "django":
        return translation.trans_real.translation(language)._catalog
    localedirs = [str(CONTRIB / "admin" / "locale"), str(WORKSPACE_LOCALE)]
    return translation.trans_real.DjangoTranslation(language, domain=domain, localedirs=localedirs)._catalog


def english_strings(language="nb", domain="django"):
    """{msgid: regex} of every interface string the LANGUAGE interface must not show in English."""
    with translation.override(language):
        translated = catalog(language, domain)
        strings = {}
        for path in SOURCES[domain]:
            for msgid in msgids(path):
                plain = re.sub(r"<[^>]+>", "", msgid).strip()
                if not re.search(r"[A-Za-z]{2}", PLACEHOLDER.sub("", plain)) or plain in SAME:
                    continue
                if translated.get(msgid) == msgid:  # translated as itself: the same word in Norwegian
                    continue
                parts = PLACEHOLDER.split(plain)
                pattern = r".+".join(re.escape(part) for part in parts)
                strings[msgid] = re.compile(rf"{pattern}[:…]?")
    return strings


class Visible(HTMLParser):
    """The text nodes of a page outside script and style, and its labelling attributes."""

    SKIP = {"script", "style", "template", "textarea"}

    def __init__(self):
        super().__init__()
        self.texts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        attrs = dict(attrs)
        for name in ATTRIBUTES:
            if attrs.get(name):
                self.texts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def english_in(texts, strings):
    """The (text, msgid) pairs where a text is, whole, one of the English STRINGS."""
    found = []
    for text in texts:
        text = " ".join(text.split()).strip(" :›»")
        if not text:
            continue
        for msgid, pattern in strings.items():
            if pattern.fullmatch(text):
                found.append((text, msgid))
                break
    return found


def visible_texts(html):
    parser = Visible()
    parser.feed(html)
    return parser.texts
