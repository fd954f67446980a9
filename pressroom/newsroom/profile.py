"""The newsroom's own texts in each language: the one place that picks them.

The profile (`Newsroom`) holds its texts in its main language (`default_language`); a
`NewsroomTranslation` holds them in another language, and a `ContactTranslation` a press contact's
title. A text that is not translated (no translation, or a blank one) falls back to the main
language's: the reader sees it without a mark, the editor sees it marked in the admin (`fallbacks`).

Every public surface reads the newsroom through `Newsroom.in_language(code)`, a `NewsroomText`: the
templates' `newsroom` is the one of the language they are rendered in (the context processor, the
email builders), and its `contacts()` gives the contacts with their titles in that language.
"""

from django.db.models import prefetch_related_objects
from django.utils.functional import cached_property
from django.utils.html import strip_tags

# The profile's fields that have a text per language, in the order the admin lists them.
TRANSLATED = ("name", "tagline", "about", "signup_text", "email_footer")


def is_blank(value):
    # The rich-text editor leaves "<p></p>" behind when its text is deleted.
    return not strip_tags(value or "").strip()


class NewsroomText:
    """The newsroom as the public reads it in one LANGUAGE: the translated texts, each falling back to
    the main language's; every other attribute (logo, website, email...) is the newsroom's own."""

    def __init__(self, newsroom, language):
        self.newsroom = newsroom
        self.language = language

    def __getattr__(self, attr):
        if attr.startswith("__") or "newsroom" not in self.__dict__:
            raise AttributeError(attr)
        if attr in TRANSLATED:
            return self.text(attr)
        return getattr(self.newsroom, attr)

    def __str__(self):
        return self.name

    @property
    def main_language(self):
        return self.newsroom.default_language

    @property
    def is_main_language(self):
        return self.language == self.main_language

    @cached_property
    def translation(self):
        """The language's NewsroomTranslation, or None (for the main language, always None)."""
        if self.is_main_language or self.newsroom.pk is None:
            return None
        # .all(), so that a prefetch of the translations (the admin's) is used.
        return next((t for t in self.newsroom.translations.all() if t.language == self.language), None)

    def text(self, field):
        translated = getattr(self.translation, field, "")
        return getattr(self.newsroom, field) if is_blank(translated) else translated

    def fallbacks(self):
        """The TRANSLATED fields that show the main language's text in this language."""
        if self.is_main_language:
            return []
        return [field for field in TRANSLATED if is_blank(getattr(self.translation, field, ""))]

    def translated_role(self, contact):
        """CONTACT's title translated into this language, or None (always None in the main language)."""
        if not self.is_main_language:
            for translation in contact.translations.all():
                if translation.language == self.language and not is_blank(translation.role):
                    return translation.role
        return None

    def role(self, contact):
        """CONTACT's title in this language (its main-language title when not translated)."""
        return self.translated_role(contact) or contact.role

    def contacts(self, contacts):
        """CONTACTS as the public reads them in this language (their translations in one query, and
        none in the main language)."""
        contacts = list(contacts)
        if not self.is_main_language:
            prefetch_related_objects(contacts, "translations")
        return [ContactText(contact, self.role(contact)) for contact in contacts]


class ContactText:
    """A press contact with its title in one language; every other attribute is the contact's own."""

    def __init__(self, contact, role):
        self.contact = contact
        self.role = role

    def __getattr__(self, attr):
        if attr.startswith("__") or "contact" not in self.__dict__:
            raise AttributeError(attr)
        return getattr(self.contact, attr)

    def __str__(self):
        return f"{self.name} ({self.role})" if self.role else self.name
