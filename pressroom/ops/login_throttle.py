"""Throttling of the admin login, which an outsider cannot turn into a lockout of an editor.

Failures are counted per (username, address) pair. After ADMIN_LOGIN_FAILURE_LIMIT failures for one
username from one address, that pair waits a minute before the next password is checked, then two, four...
at most ADMIN_LOGIN_FAILURE_WINDOW seconds; the count is forgotten after a window without failures or
after a successful login. Someone guessing an editor's password from their own address therefore slows
down only themselves: the editor's own address, and other usernames from the guesser's address, are not
affected.

Guessing one username from many addresses is caught by a count per username too: after the same number of
failures in a window, the username is refused from every address where it has not logged in before
(remembered for KNOWN_ADDRESS_DAYS after each successful login). The editor at a known address still
gets in.

Failures are counted from Django's `user_login_failed` signal; if the cache is down, logins go on
unthrottled rather than not at all.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .ratelimit import client_ip

log = logging.getLogger(__name__)

FIRST_DELAY = 60  # seconds a pair waits after reaching the limit; doubled after every further failure
KNOWN_ADDRESS_DAYS = 90


def _digest(value):
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]


def _keys(request, username):
    """The cache keys of USERNAME from REQUEST's address: the pair's count and wait, the username's count
    and whether the username has logged in from this address before."""
    user = _digest(username.strip().lower())
    pair = f"{user}:{_digest(client_ip(request))}"
    return {
        "pair": f"login-failures:pair:{pair}",
        "wait": f"login-wait:{pair}",
        "username": f"login-failures:username:{user}",
        "known": f"login-known:{pair}",
    }


def seconds_to_wait(request, username):
    """Seconds before a password for USERNAME from REQUEST's address is checked again; 0 if now."""
    keys = _keys(request, username)
    try:
        values = cache.get_many(list(keys.values()))
    except Exception:
        log.exception("Login failure counters unavailable")
        return 0
    wait = max(0, math.ceil(values.get(keys["wait"], 0) - time.time()))
    if values.get(keys["username"], 0) >= settings.ADMIN_LOGIN_FAILURE_LIMIT and not values.get(
        keys["known"]
    ):
        wait = max(wait, settings.ADMIN_LOGIN_FAILURE_WINDOW)
    return wait


def _increment(key, timeout):
    # add() first: concurrent first failures must not reset each other's count.
    cache.add(key, 0, timeout=timeout)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=timeout)
        return 1
    cache.touch(key, timeout)
    return count


@receiver(user_login_failed, dispatch_uid="pressroom-login-throttle")
def count_failure(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    keys = _keys(request, credentials.get("username", "") or "")
    window = settings.ADMIN_LOGIN_FAILURE_WINDOW
    try:
        failures = _increment(keys["pair"], window)
        _increment(keys["username"], window)
        if failures >= settings.ADMIN_LOGIN_FAILURE_LIMIT:
            delay = min(FIRST_DELAY * 2 ** (failures - settings.ADMIN_LOGIN_FAILURE_LIMIT), window)
            cache.set(keys["wait"], time.time() + delay, timeout=delay)
            log.warning("Admin login failures for one username from one address: waits %s s", delay)
    except Exception:
        log.exception("Login failure counter unavailable")


@receiver(user_logged_in, dispatch_uid="pressroom-login-known-address")
def remember_address(sender, request, user, **kwargs):
    if request is None:
        return
    keys = _keys(request, user.get_username())
    try:
        cache.set(keys["known"], 1, timeout=KNOWN_ADDRESS_DAYS * 24 * 3600)
        cache.delete_many([keys["pair"], keys["wait"]])
    except Exception:
        log.exception("Login failure counter unavailable")


class ThrottledLoginForm(AdminAuthenticationForm):
    """The admin's login form, which does not check a password while its username and address wait."""

    def clean(self):
        if wait := seconds_to_wait(self.request, self.data.get("username", "")):
            raise ValidationError(
                _("Too many failed logins. Wait up to %(minutes)d minutes, then try again."),
                code="throttled",
                params={"minutes": max(1, math.ceil(wait / 60))},
            )
        return super().clean()
