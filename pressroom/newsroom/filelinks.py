"""Signed, expiring links to the files of a release that is not public yet.

An editor's test email is read in a mail program that has no staff login; its images and downloads carry
one of these so that they show. Each link opens one file, for a week.
"""

from django.core import signing

SALT = "pressroom.filelinks"
MAX_AGE = 7 * 24 * 3600


def token_for(attachment):
    return signing.TimestampSigner(salt=SALT).sign(str(attachment.pk))


def allows(token, pk):
    """True if TOKEN was made for the attachment PK and has not expired."""
    if not token or len(token) > 200:
        return False
    try:
        return signing.TimestampSigner(salt=SALT).unsign(token, max_age=MAX_AGE) == str(pk)
    except signing.BadSignature:
        return False


def with_token(url, attachment):
    return f"{url}?preview={token_for(attachment)}"
