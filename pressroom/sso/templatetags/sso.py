from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode

register = template.Library()


@register.inclusion_tag("admin/sso_login.html", takes_context=True)
def sso_login(context):
    """The "Log in with <organisation>" button, and whether the password form is offered."""
    request = context["request"]
    url = reverse("sso:login")
    if next_url := request.GET.get("next"):
        url = f"{url}?{urlencode({'next': next_url})}"
    return {
        "enabled": settings.OIDC_ENABLED,
        "url": url,
        "organisation": settings.OIDC_ORGANISATION,
        "password_login": settings.PASSWORD_LOGIN,
    }


@register.simple_tag
def password_login():
    return settings.PASSWORD_LOGIN
