"""The actions staff are accountable for: publishing, sending, exporting, erasing and the like.

Each app announces them where they happen (a service, an admin action, a command), in the transaction
that does them; the workspace app writes them to its append-only audit log. A signal, so that the apps
lower down (newsroom, subscriptions, press, api, portability) need not import the workspace.
"""

from django.dispatch import Signal

PUBLISH = "publish"
UNPUBLISH = "unpublish"
SCHEDULE = "schedule"
SEND = "send"
RESEND = "resend"
APPROVE = "approve"
EXPORT = "export"
IMPORT = "import"
ERASE = "erase"
LOGIN = "login"

# action: one of the names above; user: who did it (None: the system, e.g. the scheduler or a command);
# target: the model instance acted on, or None; details: a small JSON-serialisable dict.
action_done = Signal()


def record(action, *, user=None, target=None, **details):
    """Announce ACTION by USER on TARGET. Inside the caller's transaction: the record commits with it."""
    action_done.send(sender=action, action=action, user=user, target=target, details=details)
