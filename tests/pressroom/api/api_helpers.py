"""Users and tokens for the API tests."""

from django.contrib.auth.models import Permission, User
from django.test import Client

from pressroom.api import auth as api_auth
from pressroom.api.models import ApiToken

EDITOR_PERMISSIONS = [
    "view_release", "add_release", "change_release", "publish_release", "view_topic", "view_contact",
]  # fmt: skip


def editor(username="redaktor", permissions=EDITOR_PERMISSIONS):
    user = User.objects.create_user(username, f"{username}@imdi.no", "pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="newsroom", codename__in=permissions)
    )
    return user


def token_for(user, scope=ApiToken.Scope.WRITE, name="Intranett"):
    token, key = api_auth.create_token(user=user, name=name, scope=scope)
    return token, key


def api_client(key=None):
    """A client that asks for English (assertions read the English messages), sending KEY as a token."""
    headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return Client(enforce_csrf_checks=True, **headers)
