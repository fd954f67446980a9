from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PressConfig(AppConfig):
    name = "pressroom.press"
    verbose_name = _("Press")

    def ready(self):
        from pressroom.newsroom import review
        from subscriptions import kinds
        from subscriptions.models import Mailing

        from . import corrections, presend, receivers  # noqa: F401 - receivers: press kits, erasures

        # Pre-sends and correction notices go out through the delivery ledger.
        kinds.register(Mailing.Kind.PRESEND, presend.KIND)
        kinds.register(Mailing.Kind.CORRECTION, corrections.KIND)
        review.register(presend.describe_withdrawal)
