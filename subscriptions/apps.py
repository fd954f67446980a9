from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Subscriptions")

    def ready(self):
        # Connect the anymail tracking receiver and the newsroom's publication receivers.
        from pressroom.newsroom import review as newsroom_review

        from . import checks, confirmations, digests, kinds, receivers, release_email, review, tracking  # noqa: F401
        from .models import Mailing

        checks.register_deploy_checks()
        # The kinds of email the ledger sends (the press app registers its own).
        kinds.register(Mailing.Kind.RELEASE, release_email.KIND)
        kinds.register(Mailing.Kind.DIGEST, digests.KIND)
        kinds.register(Mailing.Kind.CONFIRMATION, confirmations.KIND)
        # Whom a release reaches, on the admin's confirmation pages.
        newsroom_review.register(review.describe)
