"""What differs between the kinds of email the one ledger sends (mailings.py sends them all alike).

Each kind says how to build its messages for a mailing, whether its content may still go out (checked
before every batch), what happens to the rest of the mailing when it may not, and which subscribers it is
for. Subscriptions registers its own kinds (release, digest, confirmation) when the app is ready; the
press app registers pre-sends and correction notices the same way.
"""

from collections.abc import Callable
from dataclasses import dataclass

# What a mailing whose content was withdrawn does: waits, paused, for an editor (a release taken down
# mid-send may be put back), or skips what it has not sent (nothing would ever make it right to send).
PAUSE = "pause"
SKIP = "skip"


@dataclass(frozen=True)
class Kind:
    # (mailing) -> the message builder: .single(row, connection), optionally .wire(row) for SMTP bytes
    # and .batch(rows, provider, connection) for a provider's batch API. A row is (ledger id, address,
    # subscriber token or None, subscriber id or None).
    builder: Callable
    # (mailing) -> True while its content may go out; checked before each batch.
    current: Callable = lambda mailing: True  # noqa: E731
    withdrawn: str = SKIP
    # The status a subscriber must still have when their row is claimed; anyone else is skipped.
    audience: str = "active"
    # (ledger ids, time) -> None: bookkeeping of the kind once its rows are sent.
    sent: Callable | None = None
    # Senders that may work on one of its mailings side by side (None: MAILING_PARALLELISM).
    parallelism: int | None = None


def release_public(mailing):
    """The check of the kinds whose content is one release: is it public now (the publication rule)?"""
    from pressroom.newsroom.models import Release

    return Release.objects.published().filter(pk=mailing.release_id).exists()


_KINDS = {}


def register(name, kind):
    _KINDS[name] = kind


def get(name):
    return _KINDS[name]
