"""Release mailings over Django's own SMTP backend, as prebuilt messages.

Django's backend builds each message with the email package. A release goes to every recipient with
only a few values changed, so the message is serialized once (ReleaseMessage.wire) and each
recipient's bytes go to the backend's smtplib connection through its sendmail(), as Django's _send()
does: the same envelope, the same exceptions for mailings.classify to read.
"""

from django.conf import settings
from django.core.mail.backends import smtp as django_smtp
from django.core.mail.message import sanitize_address


def takes_bytes(connection):
    """True for Django's own SMTP backend. Not for a subclass: it may sign or rewrite in _send()."""
    return type(connection) is django_smtp.EmailBackend


def deliver(connection, rows, builder):
    """Send each row's release message over CONNECTION; yield (row id, Message-ID, exception or None)
    for every row, in order."""
    smtp = sender = None
    for row_id, email, token, pk in rows:
        message_id = ""
        try:
            if smtp is None:
                if connection.connection is None:
                    connection.open()
                smtp = connection.connection
                sender = sanitize_address(settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET)
            wire = builder.wire(email, token, pk)
            if wire is None:
                # A line too long for the prebuilt message: Django builds this one.
                message = builder.single(email, token, pk, connection)
                message.send()
                message_id = message.extra_headers.get("Message-ID", "")
            else:
                to, data, message_id = wire
                smtp.sendmail(sender, [to], data)
        except Exception as exc:  # noqa: BLE001 - the caller classifies every failure
            yield row_id, message_id, exc
        else:
            yield row_id, message_id, None
