"""Schemathesis hooks for the API (`make api-check` loads them through schemathesis.toml, and
tests/pressroom/api/test_api_schema.py imports them): how to make a valid cursor.

A cursor is opaque to clients, so the document gives it a format of its own rather than a pattern;
anything else a cursor parameter holds is invalid and answered with 400, which the negative cases test."""

from datetime import UTC

import schemathesis
from hypothesis import strategies as st

from pressroom.api.cursors import encode_cursor

# What the public list's `next` link holds: the last release's publication time and id.
schemathesis.openapi.format(
    "release-cursor",
    st.builds(
        lambda moment, pk: encode_cursor(moment.isoformat(), pk),
        st.datetimes(timezones=st.just(UTC)),
        st.integers(min_value=1, max_value=2**31),
    ),
)
# The editors' list pages by id alone.
schemathesis.openapi.format("editor-cursor", st.integers(min_value=1, max_value=2**31).map(encode_cursor))
