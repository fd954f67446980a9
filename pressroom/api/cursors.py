"""The opaque `cursor` of a paged list: the values that mark where the next page starts, in URL-safe
base64. Plain functions without Django, so that the conformance check's generators can make valid ones."""

import base64
import binascii


def encode_cursor(*values):
    text = "|".join(str(value) for value in values)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """The values an encode_cursor() string holds, or ValueError."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(cursor) from None
    return text.split("|")
