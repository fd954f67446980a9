"""Text the databases cannot store: NUL characters (PostgreSQL refuses them in text) and unpaired UTF-16
surrogates such as the JSON escape "\\ud800" (neither database can encode them). Forms already refuse NUL
(Django's CharField); JSON bodies are checked here, field by field, so that such text is a 400 naming the
field rather than a 500 from the database."""

from django.utils.translation import gettext as _


def is_storable(text):
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _all_storable(value):
    pending = [value]  # a stack rather than recursion: JSON may nest as deep as the parser allows
    while pending:
        value = pending.pop()
        if isinstance(value, str) and not is_storable(value):
            return False
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
    return True


def unstorable_fields(data):
    """{field: [message]} for each top-level field of the JSON object DATA holding text that cannot be
    stored, anywhere in its value; a field whose name itself cannot be stored is reported as __all__."""
    message = _("Contains characters that cannot be stored: a NUL character or an unpaired surrogate.")
    errors = {}
    for name, value in data.items():
        if not is_storable(name):
            errors["__all__"] = [_("A field name contains characters that cannot be stored.")]
        elif not _all_storable(value):
            errors[name] = [message]
    return errors
