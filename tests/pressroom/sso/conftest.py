import pytest

from tests import oidc


@pytest.fixture(scope="session")
def oidc_server():
    with oidc.provider() as server:
        yield server


@pytest.fixture
def provider(oidc_server, settings):
    oidc.configure(settings, oidc_server)
    return oidc_server
