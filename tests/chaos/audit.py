"""The provider's log against the ledger: what a fault scenario proves at the end of every run.

Every ledger row must end sent, uncertain, failed (with a reason) or skipped. The provider must have
accepted every sent row's recipient exactly once, with the message id the ledger recorded; an uncertain
row's recipient at most once; a failed or skipped row's recipient never; and nobody without a row.
A sent row whose recipient the provider never accepted is LOST; a recipient accepted twice is DUPLICATED.
"""

import email.utils
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models.functions import Coalesce

from subscriptions.models import Delivery, Mailing
from tests.mockprovider import MockProvider


class RecordingProvider(MockProvider):
    """The mock Mailgun provider, keeping for each accepted recipient only what the audit needs: the
    address, the message id it answered (or would have answered), the time and the subject."""

    def __init__(self, **kwargs):
        super().__init__(keep_bodies=False, **kwargs)
        # A client killed mid-request is the point of these scenarios: no traceback for each one.
        self.server.handle_error = lambda request, client_address: None

    def accept(self, fields, message_id):
        subject = fields.get("subject", [""])[0]
        now = time.time()
        entries = [
            {"to": email.utils.parseaddr(to)[1], "message_id": message_id, "at": now, "subject": subject}
            for to in fields.get("to", [])
        ]
        with self.lock:
            self.accepted.extend(entries)

    def entries(self, subject):
        with self.lock:
            return [entry for entry in self.accepted if entry["subject"] == subject]

    def settle(self, quiet=1.0, timeout=30):
        """Wait until nothing has been accepted for QUIET seconds: a slow request still in the mock's
        handler when the mailing finished is counted before the audit, not after it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                count = len(self.accepted)
            time.sleep(quiet)
            with self.lock:
                if len(self.accepted) == count:
                    return


def _bare(message_id):
    return (message_id or "").strip().strip("<>")


@dataclass
class RunAudit:
    recipients: int = 0
    by_status: Counter = field(default_factory=Counter)
    lost: list = field(default_factory=list)  # sent in the ledger, never accepted
    duplicated: list = field(default_factory=list)  # accepted more than once
    unfinished: list = field(default_factory=list)  # still queued or sending at the end
    strangers: list = field(default_factory=list)  # accepted, yet the ledger says skipped, failed or nothing
    unexplained_failures: list = field(default_factory=list)  # failed without a reason
    wrong_message_id: list = field(default_factory=list)  # sent, but not with the id the provider gave
    missing_rows: list = field(default_factory=list)  # eligible subscribers without a ledger row
    answer_lost: set = field(default_factory=set)  # accepted, but the ledger recorded no answer

    @property
    def uncertain(self):
        return self.by_status[Delivery.Status.UNCERTAIN]

    def problems(self):
        names = ["lost", "duplicated", "unfinished", "strangers", "unexplained_failures",
                 "wrong_message_id", "missing_rows"]  # fmt: skip
        return {name: sorted(getattr(self, name))[:20] for name in names if getattr(self, name)}


def audit(mailings, entries, *, eligible=None):
    """Compare the provider's accepted ENTRIES (of these mailings' subject) with the ledger of MAILINGS
    (a mailing, or several: a digest run's, sign-ups' confirmations)."""
    mailings = [mailings] if isinstance(mailings, Mailing) else list(mailings)
    rows = {
        address.lower(): (status, error, message_id)
        for address, status, error, message_id in Delivery.objects.filter(mailing__in=mailings)
        .annotate(address=Coalesce("subscriber__email", "email"))
        .values_list("address", "status", "error", "message_id")
    }
    accepted = Counter(entry["to"].lower() for entry in entries)
    ids = defaultdict(set)
    for entry in entries:
        ids[entry["to"].lower()].add(_bare(entry["message_id"]))

    result = RunAudit(recipients=len(rows))
    for address, (status, error, message_id) in rows.items():
        result.by_status[status] += 1
        times = accepted.get(address, 0)
        if status in (Delivery.Status.QUEUED, Delivery.Status.SENDING):
            result.unfinished.append(address)
        elif status == Delivery.Status.SENT:
            if times == 0:
                result.lost.append(address)
            elif _bare(message_id) not in ids[address]:
                result.wrong_message_id.append(address)
        elif status == Delivery.Status.UNCERTAIN:
            if times:
                result.answer_lost.add(address)
        elif times:  # failed or skipped
            result.strangers.append(address)
        if status == Delivery.Status.FAILED and not error:
            result.unexplained_failures.append(address)
    result.duplicated = [address for address, times in accepted.items() if times > 1]
    result.strangers += [address for address in accepted if address not in rows]
    if eligible is not None:
        result.missing_rows = sorted({address.lower() for address in eligible} - set(rows))
    return result


def sink_entries(sink):
    """An SMTP sink's (tests.integration.SMTPSink) messages as audit() takes the provider's entries: one
    per recipient, with the Message-ID the message carried."""
    return [
        {"to": rcpt, "message_id": message["Message-ID"]}
        for (_sender, rcpts), message in zip(sink.envelopes, sink.messages, strict=True)
        for rcpt in rcpts
    ]
