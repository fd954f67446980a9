"""Schemathesis against the live schema at /api/v1/openapi.json, through the WSGI application: every
operation, generated valid and invalid requests, no 500s, and every response as the schema describes it."""

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from pressroom.wsgi import application
from tests.apicheck import hooks  # noqa: F401  (the cursor formats)
from tests.factories import ContactFactory, NewsroomFactory, ReleaseContactFactory, TopicFactory, full_release
from tests.pressroom.api.api_helpers import token_for


@pytest.fixture
def keep_connection():
    """Django closes the database connection when a request starts and finishes; its test client stops
    that, and so must we for requests that come through the WSGI application (and the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_data(db, generous_rate_limit, keep_connection):
    NewsroomFactory()
    topic = TopicFactory(slug="arbeid")
    for _ in range(3):
        release = full_release(published=True, topics=[topic])
    full_release(topics=[TopicFactory(slug="utkast")])  # a draft
    ReleaseContactFactory(release=release, contact=ContactFactory(is_active=False))
    return token_for(User.objects.create_superuser("admin", "admin@imdi.no", "pw"))[1]


@pytest.fixture
def generous_rate_limit(settings):
    # Generated writes come faster than any editor's; the limit itself is tested in test_api_editor.py.
    settings.API_WRITE_RATE_LIMIT = 100_000
    return settings


# Loaded from the running application, not from the module that builds it. (Loaded at import rather
# than through schemathesis.pytest.from_fixture, which pytest 9 breaks; the schema view uses no database.)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


# The current test's token. Schemathesis sends it on every request except those whose point is to leave
# it out, and expects a 401 for those.
current = {}


@schema.auth(refresh_interval=None)
class EditorToken:
    def get(self, case, context):
        return current.get("key", "")

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, api_data):
    current["key"] = api_data
    excluded = []
    if case.operation.path.startswith("/editor/") and case.method != "GET":
        # Valid-looking writes may name topics, contacts or translations that do not exist: that is a
        # 400 the schema cannot rule out, unlike everything else the checks require.
        excluded.append(positive_data_acceptance)
    response = case.call_and_validate(excluded_checks=excluded)
    if (case.headers or {}).get("Authorization") == f"Bearer {api_data}":
        assert response.status_code != 401, "the test's own token was refused"
