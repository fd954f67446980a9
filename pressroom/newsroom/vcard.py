"""Press contacts as vCard 3.0 (RFC 2426), so a journalist can save them in one click."""

from django.conf import settings
from django.urls import reverse

from .text import slugify


def escape(value):
    """Escape a text value: backslash first, then the separators, then every kind of line break."""
    value = str(value).replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line, limit=75):
    """Fold a content line at LIMIT octets (RFC 2425 5.8.1) without splitting a UTF-8 character."""
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        # Continuation lines start with a space, which counts towards their length.
        if size + width > limit:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def split_name(name):
    """(family, given) from a display name: the last word is taken as the family name."""
    words = name.split()
    if len(words) < 2:
        return name.strip(), ""
    return words[-1], " ".join(words[:-1])


def contact_vcard(contact, newsroom):
    family, given = split_name(contact.name)
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"N:{escape(family)};{escape(given)};;;",
        f"FN:{escape(contact.name)}",
    ]
    if newsroom.name:
        lines.append(f"ORG:{escape(newsroom.name)}")
    if contact.role:
        lines.append(f"TITLE:{escape(contact.role)}")
    if contact.email:
        lines.append(f"EMAIL;TYPE=INTERNET,WORK:{escape(contact.email)}")
    if contact.phone:
        lines.append(f"TEL;TYPE=WORK,VOICE:{escape(contact.phone)}")
    if newsroom.website:
        lines.append(f"URL:{newsroom.website}")
    if contact.photo:
        photo_url = settings.SITE_URL + reverse("pressroom:contact_photo", kwargs={"pk": contact.pk})
        lines.append(f"PHOTO;VALUE=URI:{photo_url}")
    lines.append("END:VCARD")
    return "".join(fold(line) + "\r\n" for line in lines)


def vcard_filename(contact):
    """An ASCII file name that cannot break out of the Content-Disposition header."""
    return f"{slugify(contact.name)[:60] or 'contact'}.vcf"
