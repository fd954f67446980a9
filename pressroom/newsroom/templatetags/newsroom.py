"""Template tags for the public pages: the link preview (OpenGraph and Twitter card) in every page's head."""

from django import template
from django.utils import translation

from pressroom.newsroom.linkpreview import LOCALES, newsroom_card
from pressroom.newsroom.models import Newsroom
from pressroom.newsroom.views import absolute

register = template.Library()


@register.inclusion_tag("pressroom/_link_preview.html", takes_context=True)
def link_preview(context, title="", description="", kind="website", url="", image=None):
    """The page's preview: its title (else the newsroom's name), its description (else the tagline), its
    address and an image (else the newsroom's card), with the locale of the language it is in."""
    newsroom = context.get("newsroom") or Newsroom.load()
    request = context.get("request")
    language = translation.get_language()
    return {
        "newsroom": newsroom,
        "title": title or newsroom.name,
        "description": description or newsroom.tagline,
        "kind": kind,
        "url": url or absolute(request.path if request else "/"),
        "image": image or newsroom_card(newsroom),
        "locale": LOCALES.get(language, language),
    }
