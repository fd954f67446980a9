from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pressroom.ops import accountability


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit log is append-only: its entries are never changed.")


class AuditEntry(models.Model):
    """One accountable action: who did what to which object, and when. Append-only: an entry is never
    changed; entries older than AUDIT_RETENTION_DAYS are pruned (tasks.prune_audit_log)."""

    class Action(models.TextChoices):
        PUBLISH = accountability.PUBLISH, _("Publish")
        UNPUBLISH = accountability.UNPUBLISH, _("Unpublish")
        SCHEDULE = accountability.SCHEDULE, _("Schedule")
        SEND = accountability.SEND, _("Send")
        RESEND = accountability.RESEND, _("Resend")
        APPROVE = accountability.APPROVE, _("Approve")
        EXPORT = accountability.EXPORT, _("Export")
        IMPORT = accountability.IMPORT, _("Import")
        ERASE = accountability.ERASE, _("Erase")
        LOGIN = accountability.LOGIN, _("Log in")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    # The user, and their name as it was: the entry keeps saying who if the account is deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    username = models.CharField(_("user name"), max_length=150, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self):
        return f"{self.get_action_display()} · {self.object_repr or '—'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("The audit log is append-only: its entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit log entries are removed only by pruning (AUDIT_RETENTION_DAYS).")
