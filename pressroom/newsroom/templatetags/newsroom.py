"""Template tags for the public pages: the link preview (OpenGraph and Twitter card) in every page's head,
the parts of the base template kept per process, and the filter selects of the search and media pages."""

from django import template
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from pressroom.newsroom import pagecache
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


@register.tag
def part(parser, token):
    """{% part "name" %}...{% endpart %}: what is between, rendered once per process and language for as
    long as a page rendered now may be kept (pagecache.part: until the published content or the
    newsroom profile changes). Only for what is the same on every page in a language: nothing of the
    request, the reader or what the page's view chose."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("{% part %} takes one quoted name")
    nodelist = parser.parse(("endpart",))
    parser.delete_first_token()
    return PartNode(bits[1][1:-1], nodelist)


class PartNode(template.Node):
    def __init__(self, name, nodelist):
        self.name, self.nodelist = name, nodelist

    def render(self, context):
        name = f"template:{self.name}:{translation.get_language()}"
        return pagecache.part(name, lambda: self.nodelist.render(context))


FILTER_FIELD = """
<div class="filter-field">
  <label for="{}">{}</label>
  <select name="{}" id="{}">
    {}
  </select>
</div>
"""
SELECTED = mark_safe(" selected")


@register.simple_tag
def filter_fields(form):
    """The selects of a filter FORM (forms.ReleaseFilterForm), each with its label and the chosen value
    selected. Written here rather than with Django's widget templates, or a template loop over the
    choices, which cost more than a search itself."""
    fields = (
        (field.id_for_label, field.label, field.html_name, field.id_for_label, options(field))
        for field in form
    )
    return format_html_join("", FILTER_FIELD, fields)


def options(field):
    chosen = field.value()
    chosen = "" if chosen is None else str(chosen)
    choices = (
        (value, SELECTED if str(value) == chosen else "", label) for value, label in field.field.choices
    )
    return format_html_join("", '<option value="{}"{}>{}</option>', choices)
