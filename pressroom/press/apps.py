from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PressConfig(AppConfig):
    name = "pressroom.press"
    verbose_name = _("Press")

    def ready(self):
        from . import receivers  # noqa: F401 - press kits rebuilt, erased subscribers' addresses removed
