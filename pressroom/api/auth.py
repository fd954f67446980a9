"""API tokens: created in the admin, shown once, stored as a SHA-256 hash, revocable, scoped read or write.

A token acts for its user: the user must be active and hold the Django permission an endpoint needs
(view, add or change releases), so a token never does more than its owner can do in the admin.
"""

import hashlib
import secrets
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from pressroom.ops import ratelimit

from .http import ApiError, error_response, not_allowed, not_found
from .models import ApiToken

KEY_PREFIX = "prs_"
# last_used_at is a hint for editors cleaning up old tokens, not an audit log: write it at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)

READ = ApiToken.Scope.READ
WRITE = ApiToken.Scope.WRITE


def hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


def new_key():
    """A new secret key; returns (key, prefix, key_hash). Only the prefix and the hash are stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[: len(KEY_PREFIX) + 6], hash_key(key)


def create_token(*, user, name, scope=READ):
    """A new token for USER; returns (token, key). The key cannot be shown again."""
    key, prefix, key_hash = new_key()
    token = ApiToken.objects.create(user=user, name=name, scope=scope, prefix=prefix, key_hash=key_hash)
    return token, key


def revoke_token(*, token):
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def unauthorized(message):
    return ApiError(401, {"__all__": [message]}, headers={"WWW-Authenticate": 'Bearer realm="pressroom"'})


def authenticate(request):
    """The token of an `Authorization: Bearer <key>` header, or ApiError 401."""
    scheme, _space, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise unauthorized(_("Send an API token: Authorization: Bearer <token>."))
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        raise unauthorized(_("The API token is not valid or has been revoked."))
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def check_access(token, *, scope, permission):
    if scope == WRITE and token.scope != WRITE:
        raise ApiError(
            403, {"__all__": [_("This API token may only read. Create a token with write scope.")]}
        )
    if permission and not token.user.has_perm(permission):
        raise ApiError(403, {"__all__": [_("The token's user does not have permission to do this.")]})


def throttle(token):
    """A fixed window of API_WRITE_RATE_LIMIT writes per token; ApiError 429 beyond it."""
    window = settings.API_WRITE_RATE_WINDOW
    allowed, retry_after = ratelimit.attempt(
        "api-write", token.pk, limit=settings.API_WRITE_RATE_LIMIT, window=window
    )
    if not allowed:
        raise ApiError(
            429,
            {"__all__": [_("Too many writes with this token. Try again in %(seconds)s seconds.")
                         % {"seconds": retry_after}]},
            headers={"Retry-After": str(retry_after)},
        )  # fmt: skip


def editor_endpoint(permissions):
    """An endpoint for editors' tokens. PERMISSIONS maps each method to (scope, Django permission).

    Only a token authenticates here, never the session cookie, which is why these views are exempt from
    CSRF. Writes are rate limited per token."""
    allowed = list(permissions)

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in permissions:
                return not_allowed(allowed)
            scope, permission = permissions[request.method]
            try:
                token = authenticate(request)
                check_access(token, scope=scope, permission=permission)
                if request.method not in ("GET", "HEAD"):
                    throttle(token)
                request.api_token = token
                response = view(request, *args, **kwargs)
            except Http404:
                response = error_response(404, not_found().errors)
            except ApiError as exc:
                response = error_response(exc.status, exc.errors, exc.headers)
                if exc.status == 429:
                    # Counted by the rate limit, which logs once per window, not by django.request each time.
                    response._has_been_logged = True
            response["Cache-Control"] = "private, no-store"
            return response

        return wrapper

    return decorator
