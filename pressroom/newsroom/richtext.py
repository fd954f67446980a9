"""Rich text: what editors may write, and the one sanitizer every stored body goes through."""

import re
from html import escape, unescape

import nh3
from django.utils.html import strip_tags

# What the editor offers and the sanitizer keeps: paragraphs, subheadings, quotes, lists, links,
# emphasis. No scripts, no styles, no event handlers, no images inline (images are attachments).
ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "blockquote", "ul", "ol", "li", "a",
    "strong", "em", "b", "i", "u", "s", "sub", "sup", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

PROSE_EDITOR_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Underline": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    "Heading": {"levels": [2, 3, 4]},
    "Blockquote": True,
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "HorizontalRule": True,
    "HardBreak": True,
    "Link": {"enableTarget": False},
    "History": True,
}

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def sanitize_html(html):
    """Return HTML that keeps only the allowed structure; everything else is removed or escaped."""
    cleaned = _cleaner.clean(html or "").strip()
    # ProseMirror always leaves one empty paragraph in an empty document.
    return "" if cleaned in ("<p></p>", "<p><br></p>") else cleaned


_BLOCK_END = re.compile(r"</(p|h[2-4]|blockquote|ul|ol)>", re.IGNORECASE)
_LINE_BREAK = re.compile(r"<br\s*/?>|</li>", re.IGNORECASE)
_LIST_ITEM = re.compile(r"<li[^>]*>", re.IGNORECASE)
_LINK = re.compile(r"<a\s[^>]*?href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)


def _link_as_text(match):
    """A link as its text and its address in angle brackets (RFC 3986, appendix C), so that a reader of
    the text part can still follow it; an address that is already the text is not repeated."""
    href, content = match.group(1), match.group(2)
    shown = unescape(strip_tags(content)).strip()
    address = unescape(href)
    if not address or shown in (address, address.removeprefix("mailto:"), address.removeprefix("tel:")):
        return content
    return f"{content} &lt;{escape(address)}&gt;"


def to_text(html):
    """Plain text of sanitized rich text, for the text part of emails: paragraphs, headings and quotes
    apart, list items as dashes, links as their text followed by their address."""
    text = _LINK.sub(_link_as_text, html or "")
    text = _LIST_ITEM.sub("- ", text)
    text = _LINE_BREAK.sub("\n", text)
    text = _BLOCK_END.sub("\n\n", text)
    text = unescape(strip_tags(text))
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+\n", "\n", text)).strip()
