"""Email addresses as the subscriber list stores them: one spelling per mailbox.

The local part is kept as typed (it may be case-sensitive on the receiving server) but only in the plain
dot-atom form: quoted local parts allow control characters and almost no real mailbox uses them. The
domain is lowercased and stored in its ASCII (IDNA) form, so `kari@bø.no` and `kari@xn--b-5ga.no` are the
same subscriber, the case-insensitive unique constraint works on every database, and the address can be
put in a header as it is.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 254
LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")

# Django's validator, without its default allowance for "localhost": subscribers need a real domain.
validate = EmailValidator(allowlist=[])


def normalize_email(value):
    """The stored form of VALUE, or ValidationError with a message fit for the form."""
    invalid = ValidationError(_("Enter a valid email address, like name@example.no."), code="invalid")
    if not isinstance(value, str):
        raise invalid
    value = value.strip()
    if not value or len(value) > MAX_LENGTH * 4 or "@" not in value:
        raise invalid
    local, _at, domain = value.rpartition("@")
    if len(local) > 64 or not LOCAL_PART.match(local):
        raise invalid
    domain = domain.rstrip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise invalid from None
    address = f"{local}@{domain.lower()}"
    if len(address) > MAX_LENGTH:
        raise invalid
    try:
        validate(address)
    except ValidationError:
        raise invalid from None
    return address
