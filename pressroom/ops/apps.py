from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "pressroom.ops"
    verbose_name = _("Operations")

    def ready(self):
        from . import login_throttle  # noqa: F401 - counts failed admin logins
