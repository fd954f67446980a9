from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "pressroom.api"
    verbose_name = _("API and webhooks")

    def ready(self):
        from . import events  # noqa: F401 - webhook deliveries for the newsroom's release signals
