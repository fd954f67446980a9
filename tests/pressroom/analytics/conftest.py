import pytest

from pressroom.analytics import counts


@pytest.fixture(autouse=True)
def empty_count_buffer():
    """Counts a test left waiting in the process (Redis was down) are not pushed into the next test."""
    yield
    with counts._buffer.lock:
        if counts._buffer.timer is not None:
            counts._buffer.timer.cancel()
        counts._buffer.reset()
