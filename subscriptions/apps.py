from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Subscriptions")

    def ready(self):
        # Connect the anymail tracking receiver and the newsroom's publication receivers.
        from . import checks, receivers, tracking  # noqa: F401

        checks.register_deploy_checks()
