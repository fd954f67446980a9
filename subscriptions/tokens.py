"""Signed links for email: one salt per purpose, so a link made for one page never opens another.

A token carries the subscriber's id and a fingerprint of `Subscriber.token`; rotating that field voids
every link ever sent to the subscriber. The confirmation link expires; the preferences link does not (it
is in every email, and old emails must keep working). The one-click unsubscribe URL uses the opaque
`Subscriber.token` itself: it is looked up by a unique index and holds no address.
"""

import hashlib
import re

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

from .models import Subscriber

CONFIRM = "confirm"
MANAGE = "manage"
PURPOSES = (CONFIRM, MANAGE)

# Longer tokens are refused before they reach the signer or the database.
MAX_TOKEN_LENGTH = 200
OPAQUE_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")


class InvalidToken(Exception):
    """The link was tampered with, was voided, or belongs to a subscriber who no longer exists."""


class ExpiredToken(InvalidToken):
    """The link was genuine but is too old."""


def signer(purpose):
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown link purpose {purpose!r}: use one of {', '.join(PURPOSES)}.")
    return signing.TimestampSigner(salt=f"subscriptions.link.{purpose}")


def fingerprint(subscriber):
    return hashlib.sha256(subscriber.token.encode()).hexdigest()[:16]


def make_token(subscriber, purpose):
    return signer(purpose).sign_object([subscriber.pk, fingerprint(subscriber)])


def max_age(purpose):
    return settings.SUBSCRIPTIONS_CONFIRM_MAX_AGE if purpose == CONFIRM else None


def read_token(token, purpose):
    """The Subscriber a signed TOKEN was made for, or InvalidToken / ExpiredToken."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken
    try:
        payload = signer(purpose).unsign_object(token, max_age=max_age(purpose))
    except signing.SignatureExpired:
        raise ExpiredToken from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise InvalidToken from None
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and type(payload[0]) is int
        and 0 < payload[0] < 2**63
        and isinstance(payload[1], str)
    ):
        raise InvalidToken
    subscriber = Subscriber.objects.filter(pk=payload[0]).first()
    if subscriber is None or not constant_time_compare(payload[1], fingerprint(subscriber)):
        raise InvalidToken
    return subscriber


def subscriber_for_opaque_token(token):
    """The Subscriber whose `token` is TOKEN (the one-click unsubscribe URL), or None."""
    if not isinstance(token, str) or not OPAQUE_TOKEN.match(token):
        return None
    try:
        return Subscriber.objects.get(token=token)
    except Subscriber.DoesNotExist:
        return None
