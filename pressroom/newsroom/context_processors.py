from django.conf import settings
from django.utils.functional import SimpleLazyObject

from . import languages, pagecache
from .models import Newsroom


def profile():
    """The newsroom profile with its translations: read once per process for as long as a page rendered
    now may be kept (pagecache.part), since an edit to it starts a new generation."""
    return pagecache.part("newsroom", lambda: Newsroom.load(prefetch=("translations",)))


def pressroom(request):
    # The newsroom's texts in the language the page is rendered in (profile.py); read only if the view
    # gave none.
    context = {
        "newsroom": SimpleLazyObject(lambda: profile().in_language()),
        "SITE_URL": settings.SITE_URL,
    }
    language = getattr(request, "page_language", None)
    if language is not None:
        # The same page in every language; the views of pages that exist in fewer languages (a release,
        # a topic) give their own. Read only by the templates that show the switch.
        urls = SimpleLazyObject(lambda: languages.same_page_versions(request))
        context["language_versions"] = SimpleLazyObject(lambda: languages.versions(language, urls))
        context["x_default_url"] = SimpleLazyObject(lambda: languages.x_default(urls))
    return context
