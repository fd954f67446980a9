"""Arbitrary text and bytes into every public form and token URL of the subscription flow.

Whatever comes in: never a server error, never a stored address that is not valid and normalized, and
never a CR or LF in any header of any email sent.
"""

import email
import email.policy
import string
import time
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from django.core import mail
from django.core.validators import validate_email
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from subscriptions import tokens
from subscriptions.addresses import normalize_email
from subscriptions.forms import make_stamp
from subscriptions.models import Subscriber
from tests.factories import TopicFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

texts = st.text(max_size=300)
raw_bytes = st.binary(max_size=300)
# Text that looks like an address often enough to get past the form into the service.
addresses = st.one_of(
    texts,
    st.emails(),
    st.builds(lambda local, domain: f"{local}@{domain}", texts, texts),
    st.builds(
        lambda local, domain: f"{local}@{domain}.no",
        st.text(alphabet=string.ascii_letters + "ÆØÅæøå.-_+\r\n\x00 ", min_size=1, max_size=20),
        st.text(alphabet=string.ascii_letters + "ÆØÅæøåß.-\u200b ", min_size=1, max_size=20),
    ),
)
# The headers of a confirmation email: nothing a visitor sends can add one.
HEADERS = {"Content-Type", "MIME-Version", "Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted"}
field_values = st.one_of(texts, st.sampled_from(["nb", "en", "daily", "weekly", "immediately", "", "1"]))


@pytest.fixture
def setup(newsroom, settings, django_capture_on_commit_callbacks):
    # Throttling would turn most examples into 429s before they reach the code under test.
    settings.SUBSCRIPTIONS_SIGNUP_LIMIT_PER_IP = 10**9
    settings.SUBSCRIPTIONS_SIGNUP_LIMIT_PER_ADDRESS = 10**9
    settings.SUBSCRIPTIONS_RESEND_INTERVAL = 0
    TopicFactory(language="nb")
    TopicFactory(language="en")
    return django_capture_on_commit_callbacks


def check_invariants(response):
    event(f"HTTP {response.status_code}")
    event("an email was sent" if mail.outbox else "no email")
    assert response.status_code < 500
    for address in Subscriber.objects.values_list("email", flat=True):
        validate_email(address)
        assert normalize_email(address) == address
    for message in mail.outbox:
        # Parsed back from the wire: long headers are folded there, which is not a line break inside one.
        parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
        assert set(parsed.keys()) == HEADERS
        for name, value in parsed.items():
            assert "\r" not in str(value) and "\n" not in str(value), (name, value)
        assert [message.to] == [[str(parsed["To"])]]
        assert Subscriber.objects.filter(email=message.to[0]).exists()


def post(client, capture, url, body, content_type="application/x-www-form-urlencoded", **extra):
    mail.outbox.clear()
    with capture(execute=True):
        return client.generic("POST", url, body, content_type=content_type, **extra)


@EXAMPLES
@given(
    email=addresses,
    fields=st.dictionaries(st.sampled_from(["language", "frequency", "topics", "source"]), field_values),
    referer=texts,
)
def test_sign_up_form_with_arbitrary_text(client, setup, email, fields, referer):
    body = urlencode({"email": email, "stamp": make_stamp(time.time() - 60), **fields})
    response = post(client, setup, "/subscribe/", body, HTTP_REFERER=referer.replace("\n", ""))
    check_invariants(response)


@EXAMPLES
@given(email=raw_bytes, junk=raw_bytes)
def test_sign_up_form_with_arbitrary_bytes(client, setup, email, junk):
    stamp = quote(make_stamp(time.time() - 60)).encode()
    body = b"email=" + quote_from_bytes(email).encode() + b"&stamp=" + stamp + b"&" + junk
    check_invariants(post(client, setup, "/subscribe/", body))
    # A valid address, with the bytes everywhere else: the email is sent, and none of them is in a header.
    body = b"email=kari%40example.no&stamp=" + stamp + b"&source=" + quote_from_bytes(junk).encode()
    check_invariants(post(client, setup, "/subscribe/", body, HTTP_REFERER=junk.decode("latin-1")))
    # The same bytes as text, decoded the lenient way a mail program or a proxy might.
    decoded = {"email": email.decode("utf-8", "replace"), "source": junk.decode("utf-8", "surrogateescape")}
    body = urlencode({**decoded, "stamp": make_stamp(time.time() - 60)}, errors="surrogateescape")
    check_invariants(post(client, setup, "/subscribe/", body))
    check_invariants(post(client, setup, "/subscribe/", junk))
    check_invariants(
        post(client, setup, "/subscribe/", junk, content_type="multipart/form-data; boundary=xx")
    )
    check_invariants(post(client, setup, "/subscribe/", email + junk, content_type="text/plain"))


def token_urls(token):
    segment = quote(token, safe="")
    return [
        f"/subscribe/confirm/{segment}/",
        f"/subscribe/manage/{segment}/",
        f"/subscribe/u/{segment}/",
        f"/subscribe/u/{segment}/undo/",
    ]


def mangled(token, data):
    """TOKEN with a few characters changed, cut, or extended."""
    # Positions are drawn independently of the token's length, which differs from example to example.
    position = min(data.draw(st.integers(0, 200)), len(token))
    return token[:position] + data.draw(texts) + token[position + data.draw(st.integers(0, 3)) :]


@EXAMPLES
@given(data=st.data())
def test_token_urls_with_arbitrary_and_mangled_tokens(client, setup, data):
    subscriber = SubscriberFactory(pending=True)
    real = data.draw(
        st.sampled_from(
            [
                tokens.make_token(subscriber, tokens.CONFIRM),
                tokens.make_token(subscriber, tokens.MANAGE),
                subscriber.token,
            ]
        )
    )
    token = mangled(real, data) if data.draw(st.booleans()) else data.draw(texts)
    for url in token_urls(token):
        check_invariants(client.get(url))
        check_invariants(post(client, setup, url, urlencode({"action": data.draw(field_values)})))
        check_invariants(post(client, setup, url, b"List-Unsubscribe=One-Click"))
        check_invariants(post(client, setup, url, data.draw(raw_bytes)))


@EXAMPLES
@given(
    body=st.one_of(raw_bytes, texts.map(str.encode)), fields=st.dictionaries(texts, field_values, max_size=5)
)
def test_pages_behind_real_tokens_with_arbitrary_bodies(client, setup, body, fields):
    subscriber = SubscriberFactory()
    urls = [
        f"/subscribe/confirm/{tokens.make_token(subscriber, tokens.CONFIRM)}/",
        f"/subscribe/manage/{tokens.make_token(subscriber, tokens.MANAGE)}/",
        f"/subscribe/u/{subscriber.token}/",
        f"/subscribe/u/{subscriber.token}/undo/",
    ]
    for url in urls:
        check_invariants(post(client, setup, url, body))
        check_invariants(post(client, setup, url, urlencode(fields)))
        check_invariants(post(client, setup, url, body, content_type="multipart/form-data; boundary=b"))
