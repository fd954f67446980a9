"""The release email: rendered once per mailing, personalized per recipient only in its links."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import translation

from pressroom import filelinks, richtext
from pressroom.models import Newsroom

from . import emails, providers
from .models import Subscriber


def file_url(attachment, path, test):
    """An absolute file URL; in a test send of a release not yet public, one that works without login."""
    url = settings.SITE_URL + path
    return filelinks.with_token(url, attachment) if test and not attachment.release.is_public else url


class ReleaseMessage:
    """A release rendered once, with placeholders where each recipient's own links go."""

    def __init__(self, release, *, test=False):
        self.release = release
        placeholders = {name: providers.PLACEHOLDER.format(name) for name in providers.MERGE_FIELDS}
        context = {
            "release": release,
            "body_text": richtext.to_text(release.body),
            "newsroom": Newsroom.load(),
            "site_url": settings.SITE_URL,
            "release_url": settings.SITE_URL + release.get_absolute_url(),
            "images": [
                (a, file_url(a, a.get_rendition_url("web"), test), file_url(a, a.get_absolute_url(), test))
                for a in release.images
            ],  # fmt: skip
            "documents": [(a, file_url(a, a.get_absolute_url(), test)) for a in release.documents],
            "contacts": [rc.contact for rc in release.release_contacts.select_related("contact")],
            "test": test,
            **placeholders,
        }
        with translation.override(release.language):
            self.subject, self.text, self.html = emails.render("release", context)
            if len(self.html.encode()) > settings.MAILING_HTML_BUDGET:
                # Over the budget some mail clients cut the message: send the lead and a link instead.
                self.subject, self.text, self.html = emails.render("release", {**context, "truncated": True})
        # Reverse once; per recipient only the token changes.
        self._unsubscribe = settings.SITE_URL + reverse("subscriptions:unsubscribe", args=["TOKEN"])

    def links(self, token, subscriber_id):
        return {
            "unsubscribe_url": self._unsubscribe.replace("TOKEN", token),
            "manage_url": emails.manage_url(Subscriber(pk=subscriber_id, token=token)),
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
            headers={"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )
        message.attach_alternative(html, "text/html")
        merge_data, merge_headers = {}, {}
        for _id, email, token, pk in rows:
            links = self.links(token, pk)
            merge_data[email] = links
            merge_headers[email] = {"List-Unsubscribe": f"<{links['unsubscribe_url']}>"}
        message.merge_data = merge_data
        message.merge_headers = merge_headers
        if provider.esp_extra:
            message.esp_extra = provider.esp_extra
        return message

    def single(self, email, token, subscriber_id, connection):
        """One personalized message, for SMTP and providers without batch merge."""
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
                "Message-ID": emails.new_message_id(),
            },
        )
        message.attach_alternative(html, "text/html")
        return message

    def test_message(self, to):
        """What an editor's test send looks like: the real email, links that point nowhere harmful."""
        links = {"unsubscribe_url": settings.SITE_URL + "/", "manage_url": settings.SITE_URL + "/"}
        text, html = self._fill(links)
        message = EmailMultiAlternatives(
            subject=f"[TEST] {self.subject}", body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
        )
        message.attach_alternative(html, "text/html")
        return message


def send_test(*, release, to):
    """Send an editor a test of RELEASE's email (drafts too). Not recorded in any ledger."""
    ReleaseMessage(release, test=True).test_message(to).send()
