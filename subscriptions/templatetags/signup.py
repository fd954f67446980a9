from django import template

from subscriptions.forms import make_stamp

register = template.Library()


@register.simple_tag
def signup_stamp():
    """The signed form-time for the sign-up box that base.html includes on every page."""
    return make_stamp()
