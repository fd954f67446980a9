"""What happens to a release, for the apps that act on it (mailings, webhooks, press kits).

Sent inside the transaction that makes the change, so that a receiver's rows commit or roll back with
it; receivers queue their tasks on commit. The newsroom knows nothing of who listens.
"""

from django.dispatch import Signal

# release: the Release, now public.
release_published = Signal()
# release: a public Release whose content an editor changed.
release_updated = Signal()
# release: the Release, no longer public.
release_unpublished = Signal()
