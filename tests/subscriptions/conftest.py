import re
import time

import pytest

from subscriptions.forms import make_stamp
from tests.factories import NewsroomFactory


@pytest.fixture
def newsroom(db):
    return NewsroomFactory()


def signup_data(email, **fields):
    """What the sign-up form posts, rendered a minute ago by a person (not a bot)."""
    return {"email": email, "stamp": make_stamp(time.time() - 60), "website": "", **fields}


HIDDEN_VALUES = re.compile(r'(name="(?:csrfmiddlewaretoken|stamp)" value=)"[^"]*"')


def without_form_secrets(html):
    """HTML with the per-request CSRF token and form stamp blanked out."""
    return HIDDEN_VALUES.sub(r'\1""', html)
