"""What subscriptions tell the apps that build on them."""

from django.dispatch import Signal

# Sent inside the erasing transaction, before the subscriber row is deleted (with `subscriber`): an app
# that stored the subscriber's address elsewhere removes it there, so that only the hash is left.
subscriber_erased = Signal()
