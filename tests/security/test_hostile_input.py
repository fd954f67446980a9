"""Arbitrary input to every public address of the pressroom: paths, query strings, methods, bodies and
headers. Whatever comes in, never a server error, and nothing of a draft or a scheduled release comes
out. (The subscription forms and token addresses: tests/subscriptions/test_property.py.)
"""

import base64
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import ContactFactory, NewsroomFactory, TopicFactory, full_release

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

texts = st.text(max_size=200)
# Integers as a path or parameter holds them: small, huge (past any database column), zero-padded.
numbers = st.one_of(
    st.integers(0, 50).map(str),
    st.integers(0, 10**40).map(str),
    st.integers(0, 10**6).map(lambda n: f"000{n}"),
)
segments = st.one_of(texts, numbers, st.sampled_from(["..", ".", "%00", "web", "thumb", "nb", "en"]))
HIDDEN = ("Hemmelig planlagt", "Hemmelig utkast")

PATHS = [
    "/releases/{0}/", "/releases/{0}/presskit.zip", "/preview/{n}/", "/topics/{0}/{1}/",
    "/topics/{0}/{1}/rss/", "/topics/{0}/{1}/atom/", "/archive/{n}/", "/contacts/{n}.vcf",
    "/contacts/{n}/photo/", "/files/{n}/{0}", "/images/{n}/{0}/", "/embargo/{0}/",
    "/embargo/{0}/files/{n}/{1}", "/embargo/{0}/images/{n}/{1}/", "/api/v1/releases/{0}/", "/api/v1/{0}",
    "/media/{0}/", "/media/{n}/{0}/", "/nn/media/{n}/{0}/",
]  # fmt: skip
LISTS = [
    "/", "/archive/", "/search/", "/contacts/", "/feed/rss/", "/feed/atom/", "/feed/json/", "/sitemap.xml",
    "/robots.txt", "/upcoming/", "/upcoming.ics", "/api/v1/releases/", "/api/v1/topics/",
    "/api/v1/contacts/", "/api/v1/newsroom/", "/api/v1/openapi.json", "/api/v1/docs/", "/media/",
    "/media/documents/", "/media/video/",
]  # fmt: skip
PARAMETERS = ["page", "q", "year", "topic", "kind", "language", "limit", "cursor", "format"]


def cursor(moment, number):
    """An API cursor as the API writes them, with any values in it."""
    return base64.urlsafe_b64encode(f"{moment}|{number}".encode()).decode().rstrip("=")


parameter_values = st.one_of(
    texts,
    numbers,
    st.sampled_from(["", "nb", "en", "news", "press_release", "1", "-1", "0"]),
    st.builds(
        cursor, st.sampled_from(["2025-01-01T00:00:00+00:00", "9999-12-31T23:59:59+14:00", "x"]), numbers
    ),
)


@pytest.fixture
def content(db):
    NewsroomFactory()
    topic = TopicFactory(name="Bosetting")
    full_release(published=True, title="Offentlig melding", topics=[topic])
    full_release(scheduled=True, title=HIDDEN[0], topics=[topic])
    full_release(title=HIDDEN[1], topics=[topic])
    ContactFactory()


def check(response):
    assert response.status_code < 500, response.status_code
    if response.status_code == 200 and not response.streaming:
        body = response.content.decode("utf-8", "replace")
        assert not any(title in body for title in HIDDEN)


@EXAMPLES
@given(pattern=st.sampled_from(PATHS), first=segments, second=segments, number=numbers)
def test_arbitrary_path_segments(client, content, pattern, first, second, number):
    path = pattern.format(quote(first, safe=""), quote(second, safe=""), n=number)
    check(client.get(path))
    check(client.head(path))


@EXAMPLES
@given(
    path=st.sampled_from(LISTS),
    query=st.dictionaries(st.one_of(st.sampled_from(PARAMETERS), texts), parameter_values, max_size=4),
)
def test_arbitrary_query_strings(client, content, path, query):
    check(client.get(f"{path}?{urlencode(query)}"))


@EXAMPLES
@given(
    path=st.sampled_from(LISTS + ["/releases/offentlig-melding/"]),
    method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"]),
    body=st.binary(max_size=300),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]),
)
def test_arbitrary_methods_and_bodies(client, content, path, method, body, content_type):
    check(client.generic(method, path, body, content_type=content_type))


header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=120)


@EXAMPLES
@given(
    path=st.sampled_from(LISTS + ["/releases/offentlig-melding/"]),
    headers=st.fixed_dictionaries(
        {},
        optional={
            "HTTP_ACCEPT_LANGUAGE": header_values,
            "HTTP_IF_NONE_MATCH": header_values,
            "HTTP_IF_MODIFIED_SINCE": header_values,
            "HTTP_RANGE": header_values,
            "HTTP_COOKIE": header_values,
            "HTTP_ORIGIN": header_values,
            "HTTP_X_FORWARDED_FOR": header_values,
        },
    ),
)
def test_arbitrary_request_headers(client, content, path, headers):
    check(client.get(path, **headers))
