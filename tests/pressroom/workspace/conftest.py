import pytest
from django.contrib.auth.models import Group

from pressroom.workspace import roles
from tests.factories import NewsroomFactory


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture
def member(django_user_model):
    """member(role) -> a staff user in the role's group (made by the migration)."""

    def make(role, username=None):
        user = django_user_model.objects.create_user(
            username or role.lower(), f"{username or role.lower()}@imdi.no", "pw-for-tests", is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def client_for(client, member):
    """client_for(role) -> a client logged in as a member of ROLE, reading English."""

    def make(role, username=None):
        user = member(role, username)
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        client.user = user
        return client

    return make


ROLES = roles.NAMES
