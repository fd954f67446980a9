"""The staff roles, as Django groups with permissions (made by migrations/0002_roles.py).

The group names are stable: single sign-on maps the identity provider's group claims to them, and a
deployment's own groups may sit beside them. Each role holds the rights of the one before it:

- Contributor: writes drafts (adds and changes releases and their files); cannot publish.
- Editor: also approves releases, and keeps topics, contacts and upcoming releases.
- Publisher: also publishes, schedules and unpublishes, sends pre-sends to the press and correction
  notices, and steers mailings.
- Administrator: also the newsroom's settings, API tokens, webhooks, subscribers' personal data and the
  audit log. Managing staff accounts stays with superusers.

The migration gives each role its permissions. After that the groups are the deployment's: changing a
role's permissions in code takes a new migration that calls `sync_roles` again, and `migrate` only puts
back a role group that was deleted (restore_missing_roles), leaving changes made in the admin alone.
"""

CONTRIBUTOR = "Contributor"
EDITOR = "Editor"
PUBLISHER = "Publisher"
ADMINISTRATOR = "Administrator"

NAMES = (CONTRIBUTOR, EDITOR, PUBLISHER, ADMINISTRATOR)


def _crud(label, *actions):
    app_label, model = label.split(".")
    return [f"{app_label}.{action}_{model}" for action in actions]


_CONTRIBUTOR = [
    *_crud("newsroom.release", "view", "add", "change"),
    *_crud("newsroom.attachment", "view", "add", "change", "delete"),
    *_crud("newsroom.videolink", "view", "add", "change", "delete"),
    *_crud("newsroom.releasecontact", "view", "add", "change", "delete"),
    *_crud("newsroom.topic", "view"),
    *_crud("newsroom.contact", "view"),
    *_crud("newsroom.contacttranslation", "view"),
    *_crud("press.announcement", "view"),
]
_EDITOR = [
    *_CONTRIBUTOR,
    "newsroom.approve_release",
    *_crud("newsroom.release", "delete"),
    *_crud("newsroom.topic", "add", "change"),
    *_crud("newsroom.contact", "add", "change"),
    # A contact's titles in the other languages are part of the contact.
    *_crud("newsroom.contacttranslation", "add", "change", "delete"),
    *_crud("press.announcement", "add", "change", "delete"),
    *_crud("press.correction", "view"),
    *_crud("press.presend", "view"),
    *_crud("subscriptions.mailing", "view"),
    *_crud("analytics.releasestat", "view"),
]
_PUBLISHER = [
    *_EDITOR,
    "newsroom.publish_release",
    *_crud("press.presend", "add"),
    *_crud("press.correction", "add", "change"),
    *_crud("press.journalist", "view", "add", "change", "delete"),
    *_crud("press.presslist", "view", "add", "change", "delete"),
    *_crud("press.presslistmember", "view", "add", "change", "delete"),
    *_crud("subscriptions.mailing", "change"),
    *_crud("subscriptions.delivery", "view"),
]
_ADMINISTRATOR = [
    *_PUBLISHER,
    *_crud("newsroom.newsroom", "view", "add", "change"),
    *_crud("newsroom.newsroomtranslation", "view", "add", "change", "delete"),
    *_crud("newsroom.topic", "delete"),
    *_crud("newsroom.contact", "delete"),
    *_crud("api.apitoken", "view", "add", "change", "delete"),
    *_crud("api.webhookendpoint", "view", "add", "change", "delete"),
    *_crud("api.webhookdelivery", "view", "change"),
    *_crud("subscriptions.subscriber", "view", "change", "delete"),
    *_crud("subscriptions.suppression", "view"),
    *_crud("workspace.auditentry", "view"),
]

PERMISSIONS = {
    CONTRIBUTOR: _CONTRIBUTOR,
    EDITOR: _EDITOR,
    PUBLISHER: _PUBLISHER,
    ADMINISTRATOR: _ADMINISTRATOR,
}


def sync_roles(apps, *, only_missing=False):
    """Create the role groups and give each exactly its permissions (APPS: a migration's apps, or the
    app registry). With ONLY_MISSING, groups that exist are left as they are."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations (post_migrate): make them now, to grant them.
    # (A migration's app configs have no models module, which create_permissions takes for "no models".)
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in PERMISSIONS.items():
        group, created = Group.objects.get_or_create(name=name)
        if only_missing and not created:
            continue
        # A model that a later migration makes has no permissions yet: that migration syncs the roles again.
        wanted = []
        for label in dict.fromkeys(permissions):
            app_label, codename = label.split(".")
            wanted += Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        group.permissions.set(wanted)


def restore_missing_roles(sender, using, apps=None, **kwargs):
    """After `migrate` (and after a flush, which empties the groups table and passes no APPS): any role
    group missing is made again with its permissions."""
    from django.apps import apps as registry

    if using == "default":
        sync_roles(apps or registry, only_missing=True)
