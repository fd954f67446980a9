"""Fixtures borrowed from the suites next door: the mock provider of the mailing tests, and Chromium with
a live server from the browser tests (used by the tests marked `browser`)."""

from tests.browser.conftest import browser, new_page, site  # noqa: F401
from tests.subscriptions.test_mailings import provider  # noqa: F401
