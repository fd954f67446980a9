"""The root URLconf: the admin, the subscription flow, the demo mailbox and the public pressroom.

The public pages of the newsroom (one pressroom per language, pressroom/newsroom/languages.py), press,
API and health apps share the "pressroom" namespace, so that
their names (pressroom:release, pressroom:embargo, ...) say where they are on the site, not which app
serves them.
"""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLResolver, include, path
from django.urls.resolvers import RoutePattern
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from pressroom.newsroom import urls as newsroom_urls
from pressroom.ops import urls as ops_urls
from pressroom.press import urls as press_urls
from pressroom.sso.forms import StaffLoginForm
from subscriptions.provider_webhooks import tracking as provider_tracking

public_patterns = [
    # The pressroom of each language: the default language at the root, the others under /nn/, /en/.
    # i18n_patterns may not be include()d directly, because Django's LocaleMiddleware looks for them only
    # at the root; ours (pressroom.newsroom.languages) finds them here, inside the "pressroom" namespace
    # that the rest of the public site shares. Hence the wrapping resolver at "".
    URLResolver(
        RoutePattern(""), i18n_patterns(*newsroom_urls.localized_patterns, prefix_default_language=False)
    ),
    *newsroom_urls.urlpatterns,
    path("api/v1/", include("pressroom.api.urls")),
    *press_urls.urlpatterns,
    *ops_urls.urlpatterns,
    *newsroom_urls.prefix_patterns,
]

# The admin's login stops checking passwords after repeated failures (pressroom/ops/login_throttle.py),
# and refuses them altogether when PASSWORD_LOGIN is off (pressroom/sso/forms.py).
admin.site.login_form = StaffLoginForm

urlpatterns = [
    # Staff log in through the organisation's OpenID Connect provider (pressroom/sso/).
    path("sso/", include("pressroom.sso.urls")),
    path("admin/", admin.site.urls),
    # Without a CSRF token, like the sign-up box: the switcher is on every public page, which then stay
    # cacheable. A forged request can only change the visitor's interface language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("subscribe/", include("subscriptions.urls")),
    # Provider webhooks (bounces, complaints, unsubscribes, deliveries): only the configured provider's,
    # and only once its authentication is configured (subscriptions/provider_webhooks.py).
    path("anymail/<str:provider>/tracking/", provider_tracking, name="provider_tracking"),
    path("", include((public_patterns, "pressroom"))),
]

if settings.EMAIL_BACKEND == "pressroom.demo.devmail.EmailBackend":
    urlpatterns += [path("", include("pressroom.demo.urls"))]
