"""The single sign-on's two addresses: the start, which sends the browser to the provider, and the
callback, where the provider sends it back with a code."""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _
from django.views import View
from mozilla_django_oidc import views

from .provider import ProviderUnavailable, configuration
from .signals import staff_logged_in_with_sso

log = logging.getLogger(__name__)


class SsoEnabledMixin:
    def dispatch(self, request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        return super().dispatch(request, *args, **kwargs)


class LoginView(SsoEnabledMixin, views.OIDCAuthenticationRequestView):
    def __init__(self, **kwargs):
        # The library reads the endpoint from settings here; it comes from the discovery document instead.
        View.__init__(self, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        try:
            self.OIDC_OP_AUTH_ENDPOINT = configuration()["authorization_endpoint"]
        except ProviderUnavailable:
            log.exception("Single sign-on provider unavailable")
            messages.error(request, _("The login service cannot be reached. Try again in a moment."))
            return CallbackView.redirect_to_login()
        return super().get(request)


class CallbackView(SsoEnabledMixin, views.OIDCAuthenticationCallbackView):
    @staticmethod
    def redirect_to_login():
        return HttpResponseRedirect(resolve_url(settings.LOGIN_REDIRECT_URL_FAILURE))

    def get(self, request):
        # A forged or replayed callback (unknown state, wrong nonce, a token that does not verify) and a
        # provider that fails are refused with a message on the login page, never an error page.
        try:
            return super().get(request)
        except (SuspiciousOperation, ProviderUnavailable, requests.RequestException, jwt.PyJWTError) as exc:
            log.warning("Single sign-on refused: %s", exc)
            return self.login_failure()

    def login_failure(self):
        messages.error(
            self.request,
            _("Login through your organisation failed, or your account has no access to this site."),
        )
        return self.redirect_to_login()

    def login_success(self):
        response = super().login_success()
        claims = getattr(self.user, "_sso_claims", {})
        staff_logged_in_with_sso.send(
            sender=type(self),
            request=self.request,
            user=self.user,
            claims=claims,
            groups=[group.name for group in self.user.groups.all()],
        )
        return response
