"""Every email Pressroom sends is built here, from three templates per kind of email:
`emails/<kind>/subject.txt`, `emails/<kind>/body.txt` and `emails/<kind>/body.html` (which extends
`emails/base.html`). The HTML part gets its CSS inlined; the text part is always there; everything is
rendered in the recipient's language. Links are absolute (SITE_URL) and signed (see tokens.py).
"""

import re
from email.utils import parseaddr

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from pressroom.newsroom.models import Newsroom

from . import tokens

# Remote stylesheets are never fetched while building a message: the HTML carries its own <style>.
INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def one_line(text):
    """TEXT fit for a header: control characters (CR and LF among them) become spaces, runs collapse."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())


def absolute_url(viewname, **kwargs):
    return settings.SITE_URL + reverse(viewname, kwargs=kwargs)


def confirm_url(subscriber):
    return absolute_url("subscriptions:confirm", token=tokens.make_token(subscriber, tokens.CONFIRM))


def manage_url(subscriber):
    return absolute_url("subscriptions:manage", token=tokens.make_token(subscriber, tokens.MANAGE))


def unsubscribe_url(subscriber):
    return absolute_url("subscriptions:unsubscribe", token=subscriber.token)


def unsubscribe_headers(subscriber):
    """The RFC 2369 / RFC 8058 headers that every email to a subscriber carries."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscriber)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def sending_domain():
    """The domain mail is sent from: DEFAULT_FROM_EMAIL's, else the site's host."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    domain = address.rpartition("@")[2] if "@" in address else ""
    return (domain or settings.SITE_HOST.split(":")[0] or "pressroom").lower()


def new_message_id():
    """A Message-ID on the sending domain, for messages sent one by one (the ledger records it)."""
    return make_msgid(domain=sending_domain())


# Every email Pressroom sends is automatic (RFC 3834): auto-responders and vacation replies stay quiet.
AUTOMATIC = {"Auto-Submitted": "auto-generated"}


def list_headers(language):
    """What mail to the subscribers of one language's list carries besides its unsubscribe headers: its
    List-Id (RFC 2919), one per newsroom and language, and Precedence: bulk for filters that read it."""
    label = one_line(Newsroom.load().name).replace('"', "'")
    return {
        "List-Id": f'"{label}" <press-releases.{language}.{sending_domain()}>',
        "Precedence": "bulk",
        **AUTOMATIC,
    }


def build_message(kind, *, to, context, language, headers=None):
    """An EmailMultiAlternatives of KIND for TO, rendered in LANGUAGE with CONTEXT."""
    context = {
        "newsroom": Newsroom.load().in_language(language),
        "site_url": settings.SITE_URL,
        "language": language,
        **context,
    }
    with translation.override(language):
        subject, text, html = render(kind, context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to] if isinstance(to, str) else list(to),
        headers={name: one_line(value) for name, value in {**AUTOMATIC, **(headers or {})}.items()},
    )
    message.attach_alternative(html, "text/html")
    return message


def confirmation_message(subscriber):
    """The double opt-in email: a signed, expiring link and nothing the visitor typed but the address.
    It goes out through the ledger (confirmations.py).

    No List-Unsubscribe headers: the person is not subscribed until they confirm.
    """
    return build_message(
        "confirmation",
        to=subscriber.email,
        language=subscriber.language,
        context={
            "confirm_url": confirm_url(subscriber),
            "valid_days": max(1, settings.SUBSCRIPTIONS_CONFIRM_MAX_AGE // 86400),
        },
        headers={"Message-ID": new_message_id()},
    )


def render(kind, context):
    """Subject, text and HTML (CSS inlined) of KIND in the active language, for messages built elsewhere
    (the release mailing renders once and personalizes per recipient)."""
    context = {"newsroom": Newsroom.load().in_language(), "site_url": settings.SITE_URL, **context}
    subject = one_line(render_to_string(f"emails/{kind}/subject.txt", context))
    text = render_to_string(f"emails/{kind}/body.txt", context)
    html = INLINER.inline(render_to_string(f"emails/{kind}/body.html", context))
    return subject, text, html


def digest_message(subscriber, releases, *, frequency):
    """A daily or weekly digest listing RELEASES, with the subscriber's own links and headers (digests.py
    sends it)."""
    return build_message(
        "digest",
        to=subscriber.email,
        language=subscriber.language,
        context={
            "releases": [(release, settings.SITE_URL + release.get_absolute_url()) for release in releases],
            "frequency": frequency,
            "manage_url": manage_url(subscriber),
            "unsubscribe_url": unsubscribe_url(subscriber),
        },
        headers={**unsubscribe_headers(subscriber), **list_headers(subscriber.language)},
    )
