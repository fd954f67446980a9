"""`manage.py createapitoken`: a token for an existing user, the key printed once and only its hash kept."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pressroom.api.auth import hash_key
from pressroom.api.models import ApiToken
from tests.pressroom.api.api_helpers import api_client, editor

pytestmark = pytest.mark.django_db


def create(*args):
    out = StringIO()
    call_command("createapitoken", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_the_printed_key_is_a_write_token_of_the_user():
    user = editor()

    key = create(user.username, "--scope", "write", "--name", "Skript")

    token = ApiToken.objects.get()
    assert (token.user, token.scope, token.name) == (user, "write", "Skript")
    assert token.key_hash == hash_key(key) and key not in token.key_hash
    assert api_client(key).get("/api/v1/editor/releases/").status_code == 200


def test_the_scope_is_read_unless_asked():
    create(editor().username)

    assert ApiToken.objects.get().scope == "read"


def test_an_unknown_or_inactive_user_gets_no_token():
    user = editor()
    user.is_active = False
    user.save()

    for username in ["nobody", user.username]:
        with pytest.raises(CommandError, match="no active user"):
            create(username)
    assert not ApiToken.objects.exists()
