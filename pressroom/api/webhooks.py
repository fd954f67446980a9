"""Outbound webhooks: a signed JSON POST to every registered endpoint when a release is published, when a
published release is updated and when it is unpublished.

`events.queue_event()` writes one `WebhookDelivery` per endpoint inside the transaction that caused the
event and queues the delivery task when that transaction commits. The task does the HTTP
(`deliver()`), so a slow or failing endpoint never slows publishing; it retries with exponential backoff
up to WEBHOOK_MAX_ATTEMPTS and logs every attempt on the delivery row.

Every request carries

    X-Pressroom-Event: release.published
    X-Pressroom-Delivery: <uuid, the same on every attempt of one delivery>
    X-Pressroom-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the endpoint's secret>

Receivers recompute the HMAC over the raw body, compare in constant time and reject old timestamps
(`verify_signature()` does exactly that).
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from pressroom.ops import outbound

from .models import WebhookDelivery

log = logging.getLogger(__name__)

USER_AGENT = "Pressroom-Webhooks/1"
SIGNATURE_TOLERANCE = 300  # seconds a receiver should accept between our timestamp and its clock
# A delivery that was claimed or queued this long ago without a result lost its task (worker killed,
# broker restarted): the sweeper queues it again.
STUCK_AFTER = timedelta(minutes=10)


def body_bytes(payload):
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret, timestamp, body):
    """The X-Pressroom-Signature header value for BODY (bytes) sent at TIMESTAMP (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret, header, body, *, tolerance=SIGNATURE_TOLERANCE, now=None):
    """Whether HEADER is a valid signature of BODY (bytes) with SECRET, made within TOLERANCE seconds."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        received = parts["v1"]
    except (KeyError, ValueError, AttributeError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, received)


def post(endpoint, delivery):
    """POST the delivery once. Returns (HTTP status or None, error text).

    Raises outbound.RefusedAddress, before any connection, when the URL is or resolves to an internal
    address. Only the status is kept of an answer, never its body: what an endpoint says is not shown."""
    body = body_bytes(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Pressroom-Event": delivery.event,
        "X-Pressroom-Delivery": str(delivery.uuid),
        "X-Pressroom-Signature": sign(endpoint.secret, int(time.time()), body),
    }
    try:
        response = outbound.post(endpoint.url, data=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT)
    except outbound.RefusedAddress:
        raise
    except (requests.RequestException, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    with response:
        if 200 <= response.status_code < 300:
            return response.status_code, ""
        return response.status_code, f"HTTP {response.status_code} {response.reason}"[:500]


def is_retryable(code):
    """Network errors, timeouts, 408, 429 and 5xx may pass later; other answers will not."""
    return code is None or code in (408, 429) or code >= 500


def backoff(attempts):
    """Seconds before the next attempt after ATTEMPTS failures: doubling from the base, capped."""
    return min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1), settings.WEBHOOK_RETRY_MAX_SECONDS)


def deliver(delivery_id):
    """Make one attempt at a pending delivery and record the result.

    Returns the seconds to wait before the next attempt, or None when the delivery is finished (or was
    not pending: another worker has it, or it is done)."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now,
        next_attempt_at=None,
    )  # fmt: skip
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    held = WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.SENDING)
    if not delivery.endpoint.is_active:
        held.update(status=WebhookDelivery.Status.FAILED, error="The webhook was deactivated.")
        return None

    try:
        code, error = post(delivery.endpoint, delivery)
    except outbound.RefusedAddress as exc:
        # Not worth another attempt: the address stays internal until an editor changes the URL.
        held.update(status=WebhookDelivery.Status.FAILED, response_code=None, error=f"Refused: {exc}")
        log.warning("webhook delivery %s refused: %s", delivery_id, exc)
        return None
    now = timezone.now()
    if code is not None and 200 <= code < 300:
        held.update(status=WebhookDelivery.Status.DELIVERED, response_code=code, error="", delivered_at=now)
        return None
    if is_retryable(code) and delivery.attempts < settings.WEBHOOK_MAX_ATTEMPTS:
        delay = backoff(delivery.attempts)
        held.update(
            status=WebhookDelivery.Status.PENDING, response_code=code, error=error,
            next_attempt_at=now + timedelta(seconds=delay),
        )  # fmt: skip
        log.info("webhook delivery %s failed (%s); next attempt in %ss", delivery_id, error, delay)
        return delay
    if is_retryable(code):
        error = f"Gave up after {delivery.attempts} attempts. Last error: {error}"
    held.update(status=WebhookDelivery.Status.FAILED, response_code=code, error=error)
    log.warning("webhook delivery %s failed: %s", delivery_id, error)
    return None


def recover(now=None):
    """The ids of deliveries whose task was lost, to be queued again.

    A delivery claimed long ago with no result counts as a failed attempt: the receiver may have got it,
    which is why X-Pressroom-Delivery lets it ignore a repeat."""
    now = now or timezone.now()
    stale = now - STUCK_AFTER
    stuck = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.SENDING, last_attempt_at__lt=stale)
    stuck.filter(attempts__gte=settings.WEBHOOK_MAX_ATTEMPTS).update(
        status=WebhookDelivery.Status.FAILED, error="No result recorded (worker lost); no attempts left."
    )
    stuck_ids = list(stuck.values_list("pk", flat=True)[:1000])
    WebhookDelivery.objects.filter(pk__in=stuck_ids, status=WebhookDelivery.Status.SENDING).update(
        status=WebhookDelivery.Status.PENDING, error="No result recorded (worker lost).", next_attempt_at=now
    )
    lost = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).filter(
        Q(next_attempt_at__lt=stale) | Q(next_attempt_at__isnull=True, created_at__lt=stale)
    )
    return stuck_ids + list(lost.values_list("pk", flat=True)[:1000])
