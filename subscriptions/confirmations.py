"""Confirmation emails (double opt-in) as mailings of the one ledger.

A sign-up writes its confirmation's mailing and ledger row in the same transaction as the subscriber, and
services.py queues the sender once that is committed. With the broker down the visitor is still answered
(the queuing is robust) and the row waits: the sweeper starts every mailing with rows due that nobody is
working on, so the email goes out once the broker is back, without a second request, and once. An import
of people to confirm writes one mailing for all of them.
"""

from . import emails, kinds, mailings
from .models import Delivery, Mailing, Subscriber

OWED = (Delivery.Status.QUEUED, Delivery.Status.SENDING)


def write(subscriber_ids):
    """Write one confirmation mailing for SUBSCRIBER_IDS; return it (None for nobody)."""
    subscriber_ids = list(subscriber_ids)
    if not subscriber_ids:
        return None
    mailing, _rows = mailings.write(
        Mailing.Kind.CONFIRMATION, recipients=[(pk, None) for pk in subscriber_ids]
    )
    return mailing


def owed_mailings(subscriber):
    """The ids of the confirmation mailings whose row for SUBSCRIBER is not sent yet."""
    return set(
        Delivery.objects.filter(
            subscriber=subscriber, mailing__kind=Mailing.Kind.CONFIRMATION, status__in=OWED
        ).values_list("mailing_id", flat=True)
    )


class ConfirmationMessage:
    """Each person's own confirmation email: a signed, expiring link and nothing they typed but the
    address (no List-Unsubscribe: they are not subscribed until they confirm)."""

    def __init__(self, mailing):
        self.mailing = mailing

    def single(self, row, connection):
        subscriber = Subscriber.objects.get(pk=row[3])
        return emails.confirmation_message(subscriber)


def _sent(ids, now):
    Subscriber.objects.filter(deliveries__id__in=ids).update(confirmation_sent_at=now)


KIND = kinds.Kind(builder=ConfirmationMessage, audience=Subscriber.Status.PENDING, sent=_sent, parallelism=1)
