from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    name = "pressroom.workspace"
    verbose_name = _("Workspace")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import audit, roles  # noqa: F401 - audit: writes the log from the apps' announcements

        post_migrate.connect(roles.restore_missing_roles, sender=self, dispatch_uid="workspace-roles")
