"""Which releases a subscriber gets, by language.

A subscriber chooses Norwegian releases, English releases or both. Norwegian means both written
standards, bokmål and nynorsk, each release once: when a release has a public version in both, the
subscriber gets the one in their preferred standard (their interface language when it is nynorsk,
else bokmål), and never a second version of a release they already had. English means the English
releases. The email's content is in the release's language; its chrome (footer, links) in the
subscriber's interface language (`Subscriber.language`). A language switched off (PRESSROOM_LANGUAGES)
has no pressroom: its releases are sent to nobody, and a choice only it stands for is not offered.

The release mailing's audience (`SubscriberQuerySet.for_release`) and the digests (digests.py) both
decide through `gets` and `audience`, so the rule is written here once.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from pressroom.newsroom import languages as pressroom_languages
from pressroom.newsroom.models import Language, Release

NORWEGIAN = (Language.NB, Language.NN)


class Releases(models.TextChoices):
    """What a subscriber may choose to receive."""

    NORWEGIAN = "no", _("Norwegian (bokmål and nynorsk)")
    ENGLISH = "en", _("English")


def offered():
    """The Releases choices for the languages that have a pressroom ("English" only with English on)."""
    on = set(pressroom_languages.codes())
    return [(choice, label) for choice, label in Releases.choices if received([choice]) & on]


def default_releases(language):
    """The releases someone who chose only an interface LANGUAGE gets: those of its language."""
    return [Releases.ENGLISH] if language == Language.EN else [Releases.NORWEGIAN]


def chosen(*, norwegian, english):
    """The Releases choices that the two flags of a subscriber stand for."""
    flags = [(Releases.NORWEGIAN, norwegian), (Releases.ENGLISH, english)]
    return [choice for choice, wanted in flags if wanted]


def received(choices):
    """The release languages that the Releases CHOICES stand for."""
    codes = set()
    for choice in choices:
        codes |= set(NORWEGIAN) if choice == Releases.NORWEGIAN else {Language.EN}
    return codes


def preferred_standard(language):
    """The written standard a subscriber with interface LANGUAGE gets when a release has both."""
    return Language.NN if language == Language.NN else Language.NB


def versions(release):
    """RELEASE and the other versions of it, in other languages (its translation group)."""
    return [release, *release.other_versions()]


def other_norwegian(release):
    """The other public versions of a Norwegian RELEASE in Norwegian: {id: written standard}."""
    if release.language not in NORWEGIAN:
        return {}
    others = [version.pk for version in versions(release) if version.pk != release.pk]
    public = Release.objects.published().in_pressroom_languages()
    public = public.filter(pk__in=others, language__in=NORWEGIAN)
    return dict(public.values_list("pk", "language"))


def gets(release, *, language, norwegian, english, other_standards):
    """True if a subscriber with interface LANGUAGE, who wants NORWEGIAN and/or ENGLISH releases, gets
    this version of RELEASE, whose other public Norwegian versions are in OTHER_STANDARDS."""
    if release.language not in pressroom_languages.codes():
        return False
    if release.language not in NORWEGIAN:
        return english and release.language == Language.EN
    if not norwegian:
        return False
    preferred = preferred_standard(language)
    return release.language == preferred or preferred not in other_standards


def audience(release, others):
    """`gets` as a filter on subscribers, for RELEASE whose other public Norwegian versions are OTHERS
    ({id: written standard})."""
    if release.language not in pressroom_languages.codes():
        return models.Q(pk__in=[])
    if release.language not in NORWEGIAN:
        return models.Q(english=True) if release.language == Language.EN else models.Q(pk__in=[])
    wanted = models.Q(norwegian=True)
    for standard in set(others.values()) - {release.language}:
        # Those who prefer that standard get that version instead.
        prefers = models.Q(language=Language.NN)
        wanted &= ~prefers if standard == Language.NN else prefers
    return wanted
