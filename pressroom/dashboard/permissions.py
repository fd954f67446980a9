"""Permission names in the interface language. Django stores a permission's name in the database, in
English, when it creates it ("Can add release"), and the user and group forms list those names. The
workspace shows them translated instead: the four actions Django makes for every model by the model's own
(translated) name, and the others (a model's Meta.permissions) by their name as a msgid."""

from django.apps import apps
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def label(permission):
    """What the user and group forms show for PERMISSION: app | model | permission, translated."""
    content_type = permission.content_type
    model = content_type.model_class()
    action = permission.codename.partition("_")[0]
    if (
        model is not None
        and action in ACTIONS
        and permission.codename == f"{action}_{model._meta.model_name}"
    ):
        name = ACTIONS[action] % {"model": model._meta.verbose_name}
    else:
        name = gettext(permission.name)
    app = (
        apps.get_app_config(content_type.app_label).verbose_name
        if model is not None
        else content_type.app_label
    )
    return f"{app} | {model._meta.verbose_name if model is not None else content_type.model} | {name}"


class TranslatedPermissions:
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = label
        return field


class WorkspaceGroupAdmin(TranslatedPermissions, GroupAdmin):
    pass


class WorkspaceUserAdmin(TranslatedPermissions, UserAdmin):
    pass


def register(site):
    for model, model_admin in ((Group, WorkspaceGroupAdmin), (User, WorkspaceUserAdmin)):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
