import pytest

from tests import oidc


@pytest.fixture
def provider(oidc_server, settings):
    oidc.configure(settings, oidc_server)
    return oidc_server
