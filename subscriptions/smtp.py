"""Release mailings over Django's own SMTP backend: prebuilt messages, pipelined where the server allows.

Django's backend builds each message with the email package and waits for four replies per message
(MAIL, RCPT, DATA, the content). A release goes to every recipient with only a few values changed, so
the message is serialized once (ReleaseMessage.wire) and sent as bytes over the backend's smtplib
connection. When the server advertises PIPELINING (RFC 2920), one message's content goes out in one
write with the next message's MAIL, RCPT and DATA: one round trip per message instead of four.

Failures are smtplib's own exceptions (SMTPSenderRefused, SMTPRecipientsRefused, SMTPDataError,
SMTPServerDisconnected), for the same replies smtplib's sendmail() raises them for, so
mailings.classify reads them as it reads Django's.
"""

import contextlib
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail.backends import smtp as django_smtp
from django.core.mail.message import sanitize_address

from .release_email import PLAIN_ADDRESS


class LostBeforeContent(smtplib.SMTPServerDisconnected):
    """The connection was lost before the message's content went out (at MAIL, RCPT or DATA): nothing
    of it was sent, so it can go again at once on a new connection."""


def takes_bytes(connection):
    """True for Django's own SMTP backend. Not for a subclass: it may sign or rewrite in _send()."""
    return type(connection) is django_smtp.EmailBackend


@dataclass(slots=True)
class _Message:
    row_id: int
    message_id: str = ""
    to: str = ""
    data: bytes = b""  # the message as RFC 5322 bytes (CRLF line ends), as sendmail() takes it
    commands: bytes = b""  # its MAIL, RCPT and DATA, for a pipelined send
    error: Exception | None = None  # building it failed
    django: object = None  # an EmailMessage, for what ReleaseMessage.wire() leaves to Django


def deliver(connection, rows, builder):
    """Send each row's message (BUILDER's, prebuilt bytes where it makes them) over CONNECTION; yield
    (row id, Message-ID, exception or None) for every row, in order.

    A caller that stops early (an error that ends the batch) closes the generator: a transaction still
    open on the server is then abandoned by closing the connection, and the server discards it.
    """
    session = None
    pending = None  # a message whose MAIL, RCPT and DATA are sent, the replies not read yet
    try:
        for row in rows:
            row_id = row[0]
            message = _Message(row_id)
            try:
                session = session or _Session(connection)
                wire = builder.wire(row) if hasattr(builder, "wire") else None
                if wire is None:
                    message.django = builder.single(row, connection)
                    message.django.connection = connection
                else:
                    message.to, message.data, message.message_id = wire
                    message.commands = session.commands(message)
            except Exception as exc:  # noqa: BLE001 - the caller classifies every failure
                message.error = exc
            if pending is not None:
                # The content of the pending message goes out with this one's commands, if it has any.
                follow = message if message.data and session.pipelining else None
                error, followed = session.complete(pending, follow)
                done, pending = pending, (message if followed else None)
                yield done.row_id, done.message_id, error
                if followed:
                    continue
            if message.error is not None:
                yield row_id, message.message_id, message.error
            elif message.django is not None:
                yield row_id, *_send_with_django(message.django)
            elif session.pipelining:
                error = session.begin(message)
                if error is None:
                    pending = message
                else:
                    yield row_id, message.message_id, error
            else:
                yield row_id, message.message_id, session.sendmail(message)
        if pending is not None:
            error, _followed = session.complete(pending, None)
            done, pending = pending, None
            yield done.row_id, done.message_id, error
    finally:
        if session is not None and session.in_flight:
            # Replies are still due, maybe a DATA waiting for content: end the transaction unfinished.
            session.smtp.close()


def _send_with_django(message):
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001
        return "", exc
    return message.extra_headers.get("Message-ID", ""), None


class _Session:
    """The backend's smtplib connection, opened and greeted, and what the server said it can do."""

    def __init__(self, connection):
        if connection.connection is None:
            connection.open()
        self.smtp = connection.connection
        self.smtp.ehlo_or_helo_if_needed()
        self.pipelining = self.smtp.has_extn("pipelining")
        self.size = self.smtp.has_extn("size")
        self.sender = sanitize_address(settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET)
        self.mail_from = f"MAIL FROM:{smtplib.quoteaddr(self.sender)}"
        self.in_flight = False  # commands sent whose replies are not read yet

    def sendmail(self, message):
        """Without PIPELINING: what smtplib's sendmail() does, one reply at a time, telling a connection
        lost before the content (nothing sent) from one lost while the content was on its way."""
        try:
            code, reply = self.smtp.mail(self.sender, [f"size={len(message.data)}"] if self.size else [])
            if code != 250:
                self._reset()
                return smtplib.SMTPSenderRefused(code, reply, self.sender)
            code, reply = self.smtp.rcpt(message.to)
            if code not in (250, 251):
                self._reset()
                return smtplib.SMTPRecipientsRefused({message.to: (code, reply)})
        except OSError as exc:
            self.smtp.close()
            return LostBeforeContent(f"{exc.__class__.__name__}: {exc}")
        try:
            code, reply = self.smtp.data(message.data)
        except smtplib.SMTPResponseException as exc:  # DATA refused: nothing was delivered
            self._reset()
            return exc
        except Exception as exc:  # noqa: BLE001 - lost while the content was on its way: uncertain
            return exc
        if code != 250:
            self._reset()
            return smtplib.SMTPDataError(code, reply)
        return None

    def commands(self, message):
        """MAIL, RCPT and DATA as smtplib's sendmail() sends them (its quoteaddr() on the addresses)."""
        size = f" SIZE={len(message.data)}" if self.size else ""
        to = f"<{message.to}>" if PLAIN_ADDRESS.match(message.to) else smtplib.quoteaddr(message.to)
        return f"{self.mail_from}{size}\r\nRCPT TO:{to}\r\nDATA\r\n".encode("ascii")

    def begin(self, message):
        """Send MESSAGE's MAIL, RCPT and DATA in one write; the replies are read by complete()."""
        try:
            self.smtp.send(message.commands)
        except Exception as exc:  # noqa: BLE001 - not even the commands went out
            return LostBeforeContent(f"{exc.__class__.__name__}: {exc}")
        self.in_flight = True
        return None

    def complete(self, message, follow):
        """Read MESSAGE's three replies, send its content (with FOLLOW's commands after it, when given)
        and read the reply to the content. Return (exception or None, whether FOLLOW's were sent)."""
        try:
            replies = []
            for _command in ("MAIL", "RCPT", "DATA"):
                replies.append(self.smtp.getreply())
                if replies[-1][0] == 421:
                    break  # the server is closing the connection: no more replies will come
        except Exception as exc:  # noqa: BLE001 - lost before the content went out: nothing was sent
            self.in_flight = False
            self.smtp.close()
            return LostBeforeContent(f"{exc.__class__.__name__}: {exc}"), False
        try:
            error = self._refusal(message, replies)
            if error is not None:
                self.in_flight = False
                if replies[-1][0] == 421:
                    self.smtp.close()
                    return error, False
                if len(replies) == 3 and replies[2][0] == 354:
                    # DATA accepted although MAIL or RCPT was not: end the empty message.
                    self.smtp.send(b".\r\n")
                    self.smtp.getreply()
                self._reset()
                return error, False
            data = message.data.replace(b"\n.", b"\n..")  # dot-stuffing, as smtplib's data() does
            if not data.endswith(b"\r\n"):
                data += b"\r\n"
            followed = follow is not None
            self.smtp.send(data + b".\r\n" + (follow.commands if followed else b""))
            self.in_flight = followed
            code, reply = self.smtp.getreply()
            if code == 250:
                return None, followed
            if code == 421:
                self.in_flight = False
                self.smtp.close()
                return smtplib.SMTPDataError(code, reply), False
            return smtplib.SMTPDataError(code, reply), followed
        except Exception as exc:  # noqa: BLE001 - a lost connection: smtplib has closed it
            self.in_flight = False
            self.smtp.close()
            return exc, False

    def _refusal(self, message, replies):
        (mail_code, mail_reply), *rest = replies
        if mail_code != 250:
            return smtplib.SMTPSenderRefused(mail_code, mail_reply, self.sender)
        rcpt_code, rcpt_reply = rest[0]
        if rcpt_code not in (250, 251):
            return smtplib.SMTPRecipientsRefused({message.to: (rcpt_code, rcpt_reply)})
        data_code, data_reply = rest[1]
        if data_code != 354:
            return smtplib.SMTPDataError(data_code, data_reply)
        return None

    def _reset(self):
        """RSET after a refused transaction, as smtplib's sendmail() does."""
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            self.smtp.rset()
