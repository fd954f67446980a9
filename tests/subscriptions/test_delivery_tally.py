"""A mailing's per-status counts (DeliveryTally, kept by the database's triggers) always equal a real
COUNT of its ledger rows: after any sequence of claims, hand-overs, write-backs of every kind of answer,
sender crashes, sweeps, editors' retries and resends, cancellations, people leaving and being erased, and
compactions, on SQLite and on PostgreSQL."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscriptions import mailings, services
from subscriptions.models import Delivery, DeliveryTally, Mailing, Subscriber

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db

RECIPIENTS = 12


class Crash(Exception):
    """The sender process dies here: its transaction never commits."""


def real_counts(mailing_id):
    rows = Delivery.objects.filter(mailing_id=mailing_id).values_list("status").annotate(n=Count("id"))
    return dict(rows.order_by())


def held(claim):
    return list(
        Delivery.objects.filter(claim=claim, status=Delivery.Status.SENDING)
        .order_by("id")
        .values_list("id", flat=True)
    )


def answer(claim, choices):
    """An Outcome for the rows CLAIM holds: each sent, failed, to retry or uncertain by CHOICES."""
    outcome = mailings.Outcome()
    for i, row_id in enumerate(held(claim)):
        choice = choices[i % len(choices)] if choices else 0
        [outcome.sent, outcome.failed, outcome.retry, outcome.uncertain][choice][row_id] = f"m-{choice}"
    return outcome


def run(step, mailing, choices):
    # Claims are taken a day ahead, past any backoff, so that rows queued again are due.
    later = timezone.now() + timedelta(days=1)
    claim = None
    if step in ("batch", "one by one", "dies after claiming", "dies after handing over", "dies writing back"):
        claim = mailings.claim_batch(mailing.pk, 1 + sum(choices) % 5, now=later)
        if claim is None:
            return
    if step == "batch":
        mailings.hand_over(claim)
        mailings.write_back(claim, answer(claim, choices))
    elif step == "one by one":
        # Over SMTP: each row handed over just before it goes, written back with the next hand-over.
        ledger = mailings.OneByOne(claim)
        rows = mailings._rows(Delivery.objects.filter(claim=claim, status=Delivery.Status.SENDING))
        for row, choice in zip(ledger.rows(rows), choices, strict=False):
            if choice == 0:
                ledger.sent[row[0]] = "smtp-id"
        ledger.flush()
        mailings.write_back(claim, answer(claim, [choice for choice in choices if choice]))
    elif step == "dies after handing over":
        mailings.hand_over(claim)
    elif step == "dies writing back":
        mailings.hand_over(claim)
        with pytest.raises(Crash), transaction.atomic():
            mailings.write_back(claim, answer(claim, choices))
            raise Crash
    elif step == "sweep":
        # Later than the lease of every claim.
        mailings.sweep(now=later + timedelta(days=1))
    elif step == "retry failed":
        services.retry_rows(mailing=mailing, status=Delivery.Status.FAILED)
    elif step == "resend uncertain":
        services.retry_rows(mailing=mailing, status=Delivery.Status.UNCERTAIN)
    elif step == "cancel":
        services.cancel(mailing=mailing)
    elif step == "leave":
        ids = list(
            Subscriber.objects.filter(deliveries__mailing=mailing).order_by("id").values_list("id", flat=True)
        )
        chosen = {ids[choice % len(ids)] for choice in choices[:1]} if ids else set()
        Subscriber.objects.filter(pk__in=chosen).update(status=Subscriber.Status.UNSUBSCRIBED)
    elif step == "erase":
        subscriber = Subscriber.objects.filter(deliveries__mailing=mailing).order_by("id").first()
        if subscriber:
            subscriber.delete()
    elif step == "compact":
        mailings.compact(mailing.pk)


# Sending steps are the most common, as in a real mailing; a cancellation ends it, so it is rare.
STEPS = [
    *["batch"] * 4, *["one by one"] * 3,
    "dies after claiming", "dies after handing over", "dies writing back", *["sweep"] * 2,
    "retry failed", "resend uncertain", "leave", "erase", "compact", "cancel",
]  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(STEPS), st.lists(st.integers(0, 3), max_size=6)), min_size=3, max_size=30
    )
)
def test_the_counts_equal_a_count_of_the_rows_after_any_sequence_of_ledger_changes(steps):
    people = SubscriberFactory.create_batch(RECIPIENTS)
    mailing, _rows = mailings.write(Mailing.Kind.PRESEND, recipients=[(person.pk, None) for person in people])
    for step, choices in steps:
        run(step, mailing, choices)
        assert mailings.counts(mailing.pk) == real_counts(mailing.pk), (step, choices)
    mailings.compact(mailing.pk)
    assert mailings.counts(mailing.pk) == real_counts(mailing.pk)
    assert DeliveryTally.objects.filter(mailing=mailing).count() <= len(Delivery.Status.values)


def test_a_deleted_mailing_leaves_no_counts_behind():
    people = SubscriberFactory.create_batch(3)
    mailing, _rows = mailings.write(Mailing.Kind.PRESEND, recipients=[(person.pk, None) for person in people])
    assert mailings.counts(mailing.pk) == {Delivery.Status.QUEUED: 3}

    mailing.delete()

    assert not DeliveryTally.objects.filter(mailing_id=mailing.pk).exists()


def test_the_progress_panel_reads_the_counts():
    people = SubscriberFactory.create_batch(4)
    mailing, rows = mailings.write(Mailing.Kind.PRESEND, recipients=[(person.pk, None) for person in people])
    Delivery.objects.filter(pk=rows[0].pk).update(status=Delivery.Status.SENT)
    Delivery.objects.filter(pk=rows[1].pk).update(status=Delivery.Status.FAILED)

    progress = mailings.progress(mailing)

    assert (progress["queued"], progress["sent"], progress["failed"], progress["uncertain"]) == (2, 1, 1, 0)
