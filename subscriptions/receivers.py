"""What subscriptions does when the newsroom publishes or withdraws a release."""

from django.dispatch import receiver

from pressroom.newsroom import signals

from . import services


@receiver(signals.release_published, dispatch_uid="subscriptions-mailing")
def create_mailing(sender, release, **kwargs):
    # Inside the publishing transaction: the mailing exists exactly when the publication does.
    services.create_for_release(release=release)
