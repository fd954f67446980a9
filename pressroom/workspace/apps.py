from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    name = "pressroom.workspace"
    verbose_name = _("Workspace")

    def ready(self):
        from . import audit  # noqa: F401 - writes the audit log from the apps' announcements and logins
