"""The admin site of the workspace: Django's own admin, with the newsroom's name and logo in the header,
the models grouped by task instead of by app, and a start page with what needs doing.

It is the default `admin.site` (WorkspaceAdminConfig in apps.py), so every app's `@admin.register` lands
here without knowing about it: the apps do not import the workspace, the workspace imports them.
"""

from django.contrib import admin
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.i18n import JavaScriptCatalog

from pressroom.newsroom.models import Newsroom

from . import startpage

# The navigation, by task. Models are named "app_label.ModelName"; a model registered by an app that no
# group names (a new app, a library's) keeps its app's own section after these. Developer comes last,
# out of the editors' way.
GROUPS = [
    ("publish", pgettext_lazy("workspace navigation", "Publish"), [
        "newsroom.Release", "press.Correction", "press.Announcement", "newsroom.Topic", "newsroom.Contact",
        "subscriptions.Mailing", "subscriptions.Delivery", "analytics.ReleaseStat",
    ]),
    ("audience", _("Audience"), ["subscriptions.Subscriber", "press.PressList", "subscriptions.Suppression"]),
    ("press", _("Press"), ["press.Journalist", "press.PreSend"]),
    ("settings", _("Settings"), ["newsroom.Newsroom", "auth.User", "auth.Group"]),
    ("developer", _("Developer"), ["api.ApiToken", "api.WebhookEndpoint", "api.WebhookDelivery"]),
]  # fmt: skip


class WorkspaceSite(admin.AdminSite):
    index_template = "admin/workspace_index.html"

    def each_context(self, request):
        context = super().each_context(request)
        newsroom = Newsroom.load()
        context.update(
            site_header=newsroom.name,
            site_title=newsroom.name,
            workspace_newsroom=newsroom,
        )
        return context

    def get_app_list(self, request, app_label=None):
        if app_label is not None:
            return super().get_app_list(request, app_label)
        return self.task_groups(request)

    def task_groups(self, request):
        """The sections of the index and the sidebar: one per task, with the models the user may see."""
        apps = self._build_app_dict(request)
        by_name = {
            f"{model['model']._meta.app_label}.{model['object_name']}": model
            for app in apps.values()
            for model in app["models"]
        }
        sections = []
        for slug, name, members in GROUPS:
            models = [by_name.pop(member) for member in members if member in by_name]
            if models:
                sections.append({
                    "name": name,
                    "app_label": f"group-{slug}",
                    "app_url": reverse(f"{self.name}:workspace_group", kwargs={"group": slug}),
                    "has_module_perms": True,
                    "models": models,
                })  # fmt: skip
        left = {id(model) for model in by_name.values()}
        for app in sorted(apps.values(), key=lambda app: app["name"].lower()):
            models = [model for model in app["models"] if id(model) in left]
            if models:
                sections.append({**app, "models": sorted(models, key=lambda model: model["name"])})
        return sections

    def get_urls(self):
        return [
            path("tasks/<slug:group>/", self.admin_view(self.group_view), name="workspace_group"),
            *super().get_urls(),
        ]

    def group_view(self, request, group):
        """A task's own page, like an app's: its models, nothing else."""
        label = f"group-{group}"
        sections = [section for section in self.task_groups(request) if section["app_label"] == label]
        if not sections:
            raise Http404
        context = {
            **self.each_context(request),
            "title": sections[0]["name"],
            "subtitle": None,
            "app_list": sections,
            "app_label": sections[0]["app_label"],
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/app_index.html", context)

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "start": startpage.summary(request, self)}
        return super().index(request, extra_context)

    def i18n_javascript(self, request, extra_context=None):
        # The admin's catalog, then ours: the strings Django's own catalogs leave in English for bokmål
        # and nynorsk (the two-box selector's help, for one), and the rich-text editor's menu and dialogs.
        return JavaScriptCatalog.as_view(packages=["django.contrib.admin", "pressroom.dashboard"])(request)
