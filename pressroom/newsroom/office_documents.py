"""Office documents in ZIP containers (OOXML: docx, xlsx, pptx; OpenDocument: odt, ods, odp), recognised
with bounded work.

A ZIP's directory says how large each member would be once unpacked, and a member can unpack to a thousand
times its packed size. So before anything is read, the directory itself is checked: how many members, how
much they would unpack to in all and by what ratio, and that no member's name could point outside the
archive. Then only the members that identify the type are looked at, and at most a few KB of them.
"""

import struct
import zipfile
import zlib

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Generous for real documents: a large presentation has a few thousand parts and unpacks to a few
# hundred MB at most, its XML rarely more than 50 times smaller packed.
MAX_MEMBERS = 10_000
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 100
# Below this, any ratio: a small sheet of repeated rows packs tighter than 1:100 and harms nobody.
RATIO_FROM_BYTES = 10 * 1024 * 1024
# The most read of any identifying member.
MAX_READ_BYTES = 4096

OOXML = "application/vnd.openxmlformats-officedocument."
OOXML_MAIN_PARTS = {
    "word/document.xml": (OOXML + "wordprocessingml.document", "docx"),
    "xl/workbook.xml": (OOXML + "spreadsheetml.sheet", "xlsx"),
    "ppt/presentation.xml": (OOXML + "presentationml.presentation", "pptx"),
}
ODF_TYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}

# The end of central directory record: signature, then (at offset 10) the number of members.
END_OF_DIRECTORY = b"PK\x05\x06"
END_OF_DIRECTORY_SIZE = 22
MAX_ZIP_COMMENT = 65535


def not_a_document():
    return ValidationError(_("ZIP archives are not accepted; upload the documents themselves."), code="type")


def identify(upload):
    """(content type, extension) of an OOXML or OpenDocument file, or ValidationError.

    UPLOAD is a file object positioned anywhere; it is left at its start."""
    try:
        _check_member_count(upload)
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
            _check_members(members)
            return _identify(archive, members)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError, ValueError, RuntimeError,
            NotImplementedError, struct.error):  # fmt: skip
        raise not_a_document() from None
    finally:
        upload.seek(0)


def _check_member_count(upload):
    """Refuse a directory of too many members before zipfile builds an object for each of them."""
    upload.seek(0, 2)
    size = upload.tell()
    tail_size = min(size, END_OF_DIRECTORY_SIZE + MAX_ZIP_COMMENT)
    upload.seek(size - tail_size)
    tail = upload.read(tail_size)
    at = tail.rfind(END_OF_DIRECTORY)
    if at < 0 or at + END_OF_DIRECTORY_SIZE > len(tail):
        raise not_a_document()
    (count,) = struct.unpack("<H", tail[at + 10 : at + 12])
    # 0xFFFF means "see the ZIP64 record": only archives of more members than any document has need it.
    if count > MAX_MEMBERS:
        raise too_many_members()


def too_many_members():
    return ValidationError(
        _("The document has more than %(limit)s parts; it cannot be checked.") % {"limit": MAX_MEMBERS},
        code="too_many_parts",
    )


def _check_members(members):
    if len(members) > MAX_MEMBERS:
        raise too_many_members()
    for member in members:
        parts = member.filename.split("/")
        if "\\" in member.filename or member.filename.startswith("/") or ".." in parts or ":" in parts[0]:
            message = _("The document contains a part with an unsafe name (%(name)s).")
            raise ValidationError(message % {"name": member.filename[:100]}, code="unsafe_name")
    unpacked = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES or (unpacked > RATIO_FROM_BYTES and unpacked > MAX_RATIO * packed):
        raise ValidationError(
            _("The document would unpack to %(size)s MB, too much for its size of %(packed)s MB.")
            % {"size": round(unpacked / 1024 / 1024, 1), "packed": round(packed / 1024 / 1024, 1)},
            code="unpacks_too_large",
        )


def _identify(archive, members):
    names = {member.filename for member in members}
    first = members[0] if members else None
    if first is not None and first.filename == "mimetype":
        # OpenDocument: the type is the first member, stored uncompressed, so that it can be read at a
        # fixed place (ODF 1.2, part 3, 3.3).
        if first.compress_type != zipfile.ZIP_STORED or first.file_size > MAX_READ_BYTES:
            raise not_a_document()
        with archive.open(first) as member:
            mimetype = member.read(MAX_READ_BYTES).strip()
        if mimetype in ODF_TYPES:
            return mimetype.decode(), ODF_TYPES[mimetype]
        raise not_a_document()
    if "[Content_Types].xml" in names:
        # OOXML: the content types part, and the main part of one of the three document types.
        found = [part for part in OOXML_MAIN_PARTS if part in names]
        if len(found) == 1:
            with archive.open("[Content_Types].xml") as member:
                if member.read(MAX_READ_BYTES).strip():
                    return OOXML_MAIN_PARTS[found[0]]
    raise not_a_document()
