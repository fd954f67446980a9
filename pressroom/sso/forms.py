"""The admin's login form, which refuses passwords when PASSWORD_LOGIN is off."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pressroom.ops.login_throttle import ThrottledLoginForm


class StaffLoginForm(ThrottledLoginForm):
    def clean(self):
        if not settings.PASSWORD_LOGIN:
            # Checked here, on the server: hiding the form is not enough.
            raise ValidationError(
                _("Login with a password is switched off. Log in through your organisation."),
                code="password_login_off",
            )
        return super().clean()
