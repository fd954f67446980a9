"""Throttling of the admin login.

After ADMIN_LOGIN_FAILURE_LIMIT failed logins for one username, or from one address, within
ADMIN_LOGIN_FAILURE_WINDOW seconds, the login form stops checking passwords for it (and says so) until
the window has passed: guessing an editor's password from one machine, or one editor's password from many,
gets a handful of tries per window. Failures are counted from Django's `user_login_failed` signal.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .ratelimit import client_ip

log = logging.getLogger(__name__)


def _keys(request, username):
    """The cache keys counting this window's failures from REQUEST's address and for USERNAME."""
    window = int(time.time() // settings.ADMIN_LOGIN_FAILURE_WINDOW)
    values = [("address", client_ip(request))]
    if username:
        values.append(("username", username.strip().lower()))
    return [
        f"login-failures:{scope}:{hashlib.sha256(value.encode()).hexdigest()[:32]}:{window}"
        for scope, value in values
    ]


def is_throttled(request, username):
    counts = cache.get_many(_keys(request, username))
    return any(count >= settings.ADMIN_LOGIN_FAILURE_LIMIT for count in counts.values())


@receiver(user_login_failed, dispatch_uid="pressroom-login-throttle")
def count_failure(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    timeout = settings.ADMIN_LOGIN_FAILURE_WINDOW + 1
    for key in _keys(request, credentials.get("username", "")):
        try:
            # add() first: concurrent first failures must not reset each other's count.
            cache.add(key, 0, timeout=timeout)
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=timeout)
        except Exception:
            # The cache is down: logins go on unthrottled rather than not at all.
            log.exception("Login failure counter unavailable")


class ThrottledLoginForm(AdminAuthenticationForm):
    """The admin's login form, which does not check a password while its username or address is throttled."""

    def clean(self):
        if is_throttled(self.request, self.data.get("username", "")):
            minutes = max(1, settings.ADMIN_LOGIN_FAILURE_WINDOW // 60)
            raise ValidationError(
                _("Too many failed logins. Wait up to %(minutes)d minutes, then try again."),
                code="throttled",
                params={"minutes": minutes},
            )
        return super().clean()
