"""The demo's mailbox: an email backend that keeps each message as an .eml file, and pages that read
them in the browser at /dev/mail/. Production uses SMTP or an anymail backend instead.

The messages hold every subscriber's confirmation, preference and embargo links, so the pages are for
superusers only: being staff (an editor with a few permissions) is not enough."""

import email
import email.policy
import functools
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.mail.backends.base import BaseEmailBackend
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def mail_dir():
    return Path(settings.DEVMAIL_DIR)


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = mail_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"
            (folder / name).write_bytes(message.message().as_bytes(linesep="\n"))
        return len(email_messages)


def superuser_required(view):
    """Anonymous visitors go to the admin's login; logged-in users who are not superusers get a 403."""

    @staff_member_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _read(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


@superuser_required
def mailbox(request):
    paths = sorted(mail_dir().glob("*.eml"), reverse=True)[:200] if mail_dir().exists() else []
    messages = [{"id": p.stem, "message": _read(p)} for p in paths]
    return render(request, "devmail/mailbox.html", {"messages": messages})


@superuser_required
def message(request, message_id):
    path = mail_dir() / f"{message_id}.eml"
    if "/" in message_id or not path.is_file():
        raise Http404
    msg = _read(path)
    html = msg.get_body(("html",))
    text = msg.get_body(("plain",))
    return render(request, "devmail/message.html", {
        "id": message_id, "message": msg, "headers": list(msg.items()),
        "text": text.get_content() if text else "", "has_html": html is not None,
    })  # fmt: skip


@superuser_required
def message_html(request, message_id):
    path = mail_dir() / f"{message_id}.eml"
    if "/" in message_id or not path.is_file():
        raise Http404
    html = _read(path).get_body(("html",))
    if html is None:
        raise Http404
    response = HttpResponse(html.get_content())
    # Shown in a sandboxed frame: the email's HTML never runs script on our origin.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"
    )
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response
