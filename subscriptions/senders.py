"""Who is sending: each sender process's heartbeat, and the mailings' sender slots.

Heartbeats: a process that claims ledger rows stamps them with its identity (host:pid) and keeps a
key alive in Redis (every HEARTBEAT_SECONDS, expiring after HEARTBEAT_TTL). Rows claimed by a process
whose key has expired belong to a process that is gone: they are recovered at once (mailings.py), not
after MAILING_LEASE_SECONDS. Redis being down makes every process count as alive: nothing is taken from
a live sender.

Sender slots: at most MAILING_PARALLELISM sender tasks of one mailing work at the same time, however
many are queued (a sweep restarting a mailing that waits in backoff, a worker starting, an editor
resuming). Each task holds one of the mailing's slots in Redis while it works; a task that finds every
slot taken ends at once and queues nothing. So MAILING_RATE_LIMIT, of which each sender takes its share,
holds whatever else queues senders.

A slot names the process that holds it; a slot held by a process that is gone is taken over, not waited
out. Redis being down lets senders run unbounded, as
before slots existed; the ledger's claims still keep every row to one sender.
"""

import contextlib
import logging
import os
import platform
import threading
import uuid

import redis
from django.conf import settings

from pressroom.ops import redisclient

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
HEARTBEAT_TTL = 15
_beating = {"pid": None}


def identity():
    """This process, as its claims and slots name it."""
    return f"{platform.node()}:{os.getpid()}"


def alive_key(who):
    return redisclient.key(f"sender-alive:{who}")


def _beat_once(who):
    with contextlib.suppress(redis.RedisError):
        redisclient.client().set(alive_key(who), "1", ex=HEARTBEAT_TTL)


def beat():
    """Say this process is alive now, and keep saying so from a thread for as long as it lives."""
    who = identity()
    _beat_once(who)
    if _beating["pid"] != os.getpid():  # once per process (a forked worker child starts its own)
        _beating["pid"] = os.getpid()

        def keep_beating():
            while True:
                threading.Event().wait(HEARTBEAT_SECONDS)
                _beat_once(who)

        threading.Thread(target=keep_beating, name="sender-heartbeat", daemon=True).start()
    return who


def gone(identities):
    """The IDENTITIES whose heartbeat has expired. Empty when Redis cannot be asked."""
    identities = [who for who in identities if who]
    if not identities:
        return set()
    try:
        with redisclient.client().pipeline(transaction=False) as pipe:
            for who in identities:
                pipe.exists(alive_key(who))
            answers = pipe.execute()
    except redis.RedisError:
        return set()
    return {who for who, exists in zip(identities, answers, strict=True) if not exists}


# Delete the slot only if it is still ours (its lease may have run out and been taken by another task).
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


def slot_keys(mailing_id):
    return [redisclient.key(f"mailing:{mailing_id}:sender:{n}") for n in range(settings.MAILING_PARALLELISM)]


def lease_seconds():
    # A sender works MAILING_TASK_SECONDS, then queues its successor; a batch in flight may take longer.
    return settings.MAILING_TASK_SECONDS * 2 + 60


def acquire(mailing_id):
    """Take a free slot of MAILING_ID for this process: its (key, value), None when all are taken, or
    ("", "") when Redis cannot be asked (the task works anyway)."""
    value = f"{beat()}|{uuid.uuid4().hex}"
    try:
        client = redisclient.client()
        keys = slot_keys(mailing_id)
        for key in keys:
            if client.set(key, value, nx=True, ex=lease_seconds()):
                return key, value
        # All taken: a slot whose holder is gone is free.
        holders = {key: client.get(key) for key in keys}
        dead = gone([held.decode().split("|", 1)[0] for held in holders.values() if held])
        for key, held in holders.items():
            taken_over = (
                held and held.decode().split("|", 1)[0] in dead and client.eval(RELEASE, 1, key, held)
            )
            if taken_over and client.set(key, value, nx=True, ex=lease_seconds()):
                return key, value
    except redis.RedisError as exc:
        log.warning("sender slots unavailable, sending without: %s", exc)
        return "", ""
    return None


def release(held):
    key, value = held
    if key:
        with contextlib.suppress(redis.RedisError):
            redisclient.client().eval(RELEASE, 1, key, value)


@contextlib.contextmanager
def slot(mailing_id):
    """Yield whether this task may send for MAILING_ID, holding a slot while it does."""
    held = acquire(mailing_id)
    try:
        yield held is not None
    finally:
        if held is not None:
            release(held)
