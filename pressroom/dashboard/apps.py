from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    default = True
    name = "pressroom.dashboard"
    verbose_name = _("Workspace")


class WorkspaceAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the workspace's site as the default `admin.site` (settings' INSTALLED_APPS
    names it in the admin's place)."""

    default = False
    default_site = "pressroom.dashboard.sites.WorkspaceSite"
