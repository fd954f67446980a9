"""The audit log's writer: every action the apps announce (pressroom/ops/accountability.py) and every
staff login becomes an AuditEntry, in the transaction of the action itself."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from pressroom.ops import accountability

from .models import AuditEntry


def write(action, *, user=None, target=None, details=None):
    user = user if user is not None and user.is_authenticated else None
    return AuditEntry.objects.create(
        action=action,
        user=user,
        username=user.get_username() if user else "",
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None and target.pk is not None else "",
        object_repr=str(target)[:300] if target is not None else "",
        details=details or {},
    )


@receiver(accountability.action_done, dispatch_uid="workspace-audit")
def action_done(sender, action, user, target, details, **kwargs):
    write(action, user=user, target=target, details=details)


@receiver(user_logged_in, dispatch_uid="workspace-audit-login")
def logged_in(sender, request, user, **kwargs):
    write(accountability.LOGIN, user=user, target=user)


def prune(now=None):
    """Delete the entries older than AUDIT_RETENTION_DAYS; return how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    # A queryset delete: AuditEntry.delete() refuses single deletions.
    deleted, _by_model = AuditEntry.objects.filter(at__lt=cutoff).delete()
    return deleted
