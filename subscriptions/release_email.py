"""The release email: rendered once per mailing, personalized per recipient only in its links."""

import re
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.urls import reverse
from django.utils import translation

from pressroom.newsroom import filelinks, richtext
from pressroom.newsroom.models import Newsroom

from . import emails, kinds, providers, tokens
from .models import Subscriber

# RFC 5322: a line of a message is at most 998 characters (Django switches the part to
# quoted-printable above this; a prebuilt message falls back to Django for that recipient).
MAX_LINE = 998

# Django sends a text part as 7bit or 8bit, or quoted-printable when a line is too long; a prebuilt
# message takes these as Django wrote them (None: the headers and the closing boundary).
SENT_AS_IS = (None, "7bit", "8bit", "quoted-printable")

# What a quoted-printable line may carry as it is: printable ASCII but "=" and spaces.
QP_LITERAL = re.compile(rb"[!-<>-~]*\Z")

# The values that change per recipient in the prebuilt message, besides the links.
WIRE_FIELDS = ("to", "date", "message_id")

# An address that sanitize_address() returns unchanged: ASCII dot-atom local part, ASCII domain whose
# labels IDNA leaves as they are. Anything else (IDN, quoted or non-ASCII local parts) goes through it.
PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\Z"
)


def file_url(attachment, path, test):
    """An absolute file URL; in a test send of a release not yet public, one that works without login."""
    url = settings.SITE_URL + path
    return filelinks.with_token(url, attachment) if test and not attachment.release.is_public else url


class PersonalMessage:
    """An email to subscribers rendered once, with placeholders where each recipient's own links go:
    filled per recipient (single, wire) or by the provider's merge fields (batch)."""

    def __init__(self, subject, text, html, language):
        self.subject, self.text, self.html = subject, text, html
        self.list_headers = emails.list_headers(language)
        # Reverse and build the signer once; per recipient only the tokens change.
        self._unsubscribe = _split_url("subscriptions:unsubscribe")
        self._manage = _split_url("subscriptions:manage")
        self._manage_signer = tokens.signer(tokens.MANAGE)
        self._wire = None  # the prebuilt SMTP message, made on first use (see wire())

    @staticmethod
    def placeholders():
        """The template context that puts each merge field's placeholder where its value goes."""
        return {name: providers.PLACEHOLDER.format(name) for name in providers.MERGE_FIELDS}

    def links(self, token, subscriber_id):
        """The recipient's links: the same URLs and tokens as emails.unsubscribe_url and manage_url."""
        manage_token = self._manage_signer.sign_object(
            [subscriber_id, tokens.fingerprint(Subscriber(pk=subscriber_id, token=token))]
        )
        return {
            "unsubscribe_url": token.join(self._unsubscribe),
            "manage_url": manage_token.join(self._manage),
        }

    def _fill(self, values):
        text, html = self.text, self.html
        for name, value in values.items():
            placeholder = providers.PLACEHOLDER.format(name)
            text, html = text.replace(placeholder, value), html.replace(placeholder, value)
        return text, html

    def batch(self, rows, provider, connection):
        """One message for a provider's batch API: merge fields for the links, merge headers."""
        from anymail.message import AnymailMessage

        text, html = self._fill({name: provider.merge_value(name) for name in providers.MERGE_FIELDS})
        message = AnymailMessage(
            subject=self.subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email for _id, email, _token, _pk in rows],
            connection=connection,
            headers={"List-Unsubscribe-Post": "List-Unsubscribe=One-Click", **self.list_headers},
        )
        message.attach_alternative(html, "text/html")
        merge_data, merge_headers = {}, {}
        for _id, email, token, subscriber_id in rows:
            links = self.links(token, subscriber_id)
            merge_data[email] = links
            merge_headers[email] = {"List-Unsubscribe": f"<{links['unsubscribe_url']}>"}
        message.merge_data = merge_data
        message.merge_headers = merge_headers
        if provider.esp_extra:
            message.esp_extra = provider.esp_extra
        return message

    def single(self, row, connection):
        """One personalized message for ROW (a ledger row: id, address, token, subscriber id), for SMTP
        and providers without batch merge."""
        _id, email, token, subscriber_id = row
        links = self.links(token, subscriber_id)
        text, html = self._fill(links)
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email],
            connection=connection,
            headers={
                "List-Unsubscribe": f"<{links['unsubscribe_url']}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                **self.list_headers,
                "Message-ID": emails.new_message_id(),
            },
        )
        message.attach_alternative(html, "text/html")
        return message

    def wire(self, row):
        """The message single() builds, as SMTP bytes: (envelope recipient, bytes, Message-ID).

        The message is serialized once per mailing by Django, with placeholders for the recipient's
        address, Date, Message-ID and links; per recipient only these are put in, a bytes join rather
        than the email package building a message. None where single() must build it instead: a
        part Django encodes otherwise than 7bit, 8bit or quoted-printable, a placeholder typed into
        the subject, a value that is not ASCII, or a line that the values would take past 998.
        """
        if self._wire is None:
            self._wire = _Wire.build(self)
        if self._wire is False:
            return None
        _id, email, token, subscriber_id = row
        to = email if PLAIN_ADDRESS.match(email) else sanitize_address(email, settings.DEFAULT_CHARSET)
        message_id = emails.new_message_id()
        values = {
            **self.links(token, subscriber_id),
            "to": to,
            "date": formatdate(localtime=self._wire.localtime),
            "message_id": message_id,
        }
        data = self._wire.fill(values)
        return (to, data, message_id) if data is not None else None


class ReleaseMessage(PersonalMessage):
    """A release rendered once for its mailing (once per CHROME language: the release is in its own
    language, the footer in the recipients' interface language; by default the release's)."""

    def __init__(self, release, *, test=False, chrome=None):
        self.release = release
        placeholders = self.placeholders()
        # The newsroom's texts (name, contacts' titles, the footer) in the release's language.
        newsroom = Newsroom.load().in_language(release.language)
        contacts = release.release_contacts.select_related("contact")
        context = {
            "release": release,
            "body_text": richtext.to_text(release.body),
            "newsroom": newsroom,
            "site_url": settings.SITE_URL,
            "release_url": settings.SITE_URL + release.get_absolute_url(),
            "images": [
                (a, file_url(a, a.get_rendition_url("web"), test), file_url(a, a.get_absolute_url(), test))
                for a in release.images
            ],  # fmt: skip
            "documents": [(a, file_url(a, a.get_absolute_url(), test)) for a in release.documents],
            # A video cannot play in an email: its poster and a link to the release page, where it plays.
            "videos": [(a, file_url(a, a.poster_url, test) if a.poster_url else "") for a in release.videos],
            "video_links": list(release.video_links.all()),
            "videos_url": settings.SITE_URL + release.get_absolute_url() + "#videos-title",
            "contacts": newsroom.contacts(rc.contact for rc in contacts),
            "test": test,
            "chrome_language": chrome or release.language,
            **placeholders,
        }
        with translation.override(release.language):
            rendered = emails.render("release", context)
            if len(rendered[2].encode()) > settings.MAILING_HTML_BUDGET:
                # Over the budget some mail clients cut the message: send the lead and a link instead.
                rendered = emails.render("release", {**context, "truncated": True})
        super().__init__(*rendered, release.language)

    def sample(self):
        """The text and HTML as a subscriber gets them, with links that point nowhere harmful."""
        return self._fill({"unsubscribe_url": settings.SITE_URL + "/", "manage_url": settings.SITE_URL + "/"})

    def test_message(self, to):
        """What an editor's test send looks like: the real email, links that point nowhere harmful."""
        text, html = self.sample()
        message = EmailMultiAlternatives(
            subject=f"[TEST] {self.subject}", body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
        )
        message.attach_alternative(html, "text/html")
        return message


class ReleaseMessages:
    """A release mailing's messages, one per interface language of its recipients, each rendered once.
    mailings.send_rows sends each language's part of a batch with its own message (split)."""

    # Its messages go to a provider's batch API like any PersonalMessage's, a part per language.
    batch = True

    def __init__(self, release):
        self.release = release
        self._messages = {}
        self._languages = {}  # subscriber id -> interface language, as rows come

    def message(self, language):
        if language not in self._messages:
            self._messages[language] = ReleaseMessage(self.release, chrome=language)
        return self._messages[language]

    def split(self, rows):
        """ROWS as (message, rows) parts, one per interface language, in their order."""
        unknown = {row[3] for row in rows if row[3] not in self._languages}
        if unknown:
            self._languages.update(Subscriber.objects.filter(pk__in=unknown).values_list("pk", "language"))
        parts = {}
        for row in rows:
            language = self._languages.get(row[3], self.release.language)
            parts.setdefault(language, []).append(row)
        return [(self.message(language), part) for language, part in parts.items()]


KIND = kinds.Kind(builder=lambda mailing: ReleaseMessages(mailing.release), current=kinds.release_public,
                  withdrawn=kinds.PAUSE)  # fmt: skip


def send_test(*, release, to):
    """Send an editor a test of RELEASE's email (drafts too). Not recorded in any ledger."""
    ReleaseMessage(release, test=True).test_message(to).send()


def _split_url(viewname):
    """The absolute URL of VIEWNAME as the text before and after its token."""
    marker = providers.PLACEHOLDER.format("token")
    return tuple((settings.SITE_URL + reverse(viewname, args=[marker])).split(marker))


class _Wire:
    """A release message serialized once by Django, split where the per-recipient values go.

    Django sends a part as 7bit or 8bit unless a line passes 998 bytes, then as quoted-printable.
    In 7bit and 8bit parts and in the headers a placeholder is replaced by its value as it is (if
    its line stays within 998). In a quoted-printable part Django may have broken a placeholder with
    soft line breaks ("=" CRLF); it is found across them, and the value goes in on lines of its own,
    between soft line breaks, so that no line passes 76 characters and the decoded text is the same.
    """

    def __init__(self, first, pieces, lines, localtime):
        self.first = first  # bytes before the first placeholder
        self.pieces = pieces  # ((field, quoted-printable?), the bytes after it) for each placeholder
        self.lines = lines  # (length without placeholders, fields) of each 7bit/8bit line with some
        self.localtime = localtime

    @classmethod
    def build(cls, release_message):
        """The _Wire of RELEASE_MESSAGE, or False where its parts are not sent as they are."""
        mark = providers.PLACEHOLDER.format
        to = f"{mark('to')}@wire.invalid"
        message = EmailMultiAlternatives(
            subject=release_message.subject,
            body=release_message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            headers={
                "List-Unsubscribe": f"<{mark('unsubscribe_url')}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                **release_message.list_headers,
                "Message-ID": mark("message_id"),
                "Date": mark("date"),
            },
        )
        message.attach_alternative(release_message.html, "text/html")
        mime = message.message()
        raw = mime.as_bytes(linesep="\r\n").replace(to.encode(), mark("to").encode())
        boundary = b"--" + mime.get_boundary().encode()
        segments = raw.split(boundary)
        encodings = [None, *(part["Content-Transfer-Encoding"] for part in mime.get_payload()), None]
        if len(segments) != len(encodings) or not set(encodings) <= set(SENT_AS_IS):
            return False
        header_fields = (*WIRE_FIELDS, "unsubscribe_url")
        names = {mark(name).encode(): name for name in (*WIRE_FIELDS, *providers.MERGE_FIELDS)}
        chunks, keys, lines = [b""], [], []  # chunks[i]: the bytes before keys[i]; the last: after all
        for index, (segment, encoding) in enumerate(zip(segments, encodings, strict=True)):
            qp = encoding == "quoted-printable"
            pattern = _placeholders(header_fields if index == 0 else providers.MERGE_FIELDS, soft_breaks=qp)
            matches = list(pattern.finditer(segment))
            found = sorted(match.group() for match in matches)
            if index == 0 and found != sorted(mark(name).encode() for name in header_fields):
                return False  # a placeholder in the subject (typed by an editor): Django builds it
            if index:
                chunks[-1] += boundary
            position = 0
            for match in matches:
                chunks[-1] += segment[position : match.start()]
                keys.append((names[match.group().replace(b"=\r\n", b"")], qp))
                chunks.append(b"")
                position = match.end()
            chunks[-1] += segment[position:]
            if not qp:
                for line in segment.split(b"\r\n"):
                    on_line = pattern.findall(line)
                    if on_line:
                        static = len(line) - sum(len(placeholder) for placeholder in on_line)
                        lines.append((static, tuple(names[placeholder] for placeholder in on_line)))
        pieces = tuple(zip(keys, chunks[1:], strict=True))
        return cls(chunks[0], pieces, tuple(lines), settings.EMAIL_USE_LOCALTIME)

    def fill(self, values):
        """The message bytes with VALUES put in, or None if one does not fit (see the class)."""
        encoded = {}
        for name, value in values.items():
            if not value.isascii():
                return None
            encoded[name, False] = value.encode()
        for static, names in self.lines:
            if static + sum(len(encoded[name, False]) for name in names) > MAX_LINE:
                return None
        chunks = [self.first]
        for key, after in self.pieces:
            if key not in encoded:
                value = encoded[key[0], False]
                if not QP_LITERAL.match(value):
                    return None
                wrapped = [value[start : start + 75] for start in range(0, len(value), 75)]
                encoded[key] = b"=\r\n" + b"=\r\n".join(wrapped) + b"=\r\n"
            chunks += (encoded[key], after)
        return b"".join(chunks)


def _placeholders(fields, *, soft_breaks):
    """A pattern for the placeholders of FIELDS, allowing for quoted-printable soft line breaks."""
    separator = rb"(?:=\r\n)?" if soft_breaks else b""
    return re.compile(
        b"|".join(
            separator.join(re.escape(bytes([char])) for char in providers.PLACEHOLDER.format(name).encode())
            for name in fields
        )
    )
