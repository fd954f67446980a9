"""The role groups the migration makes, and what each may do."""

import pytest
from django.contrib.auth.models import Group, Permission

from pressroom.workspace import roles

pytestmark = pytest.mark.django_db


def test_the_migration_makes_the_four_roles_with_exactly_their_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.NAMES)
    for name, wanted in roles.PERMISSIONS.items():
        held = {
            f"{app}.{codename}"
            for app, codename in Group.objects.get(name=name).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert held == set(wanted), name


def test_every_permission_a_role_names_exists():
    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    named = {label for permissions in roles.PERMISSIONS.values() for label in permissions}
    assert named - existing == set()


def test_the_release_has_publish_and_approve_permissions():
    codenames = set(
        Permission.objects.filter(content_type__app_label="newsroom").values_list("codename", flat=True)
    )
    assert {"publish_release", "approve_release"} <= codenames


@pytest.mark.parametrize(
    ("role", "publish", "approve", "subscribers", "tokens"),
    [
        (roles.CONTRIBUTOR, False, False, False, False),
        (roles.EDITOR, False, True, False, False),
        (roles.PUBLISHER, True, True, False, False),
        (roles.ADMINISTRATOR, True, True, True, True),
    ],
)
def test_each_role_holds_the_rights_of_its_description(member, role, publish, approve, subscribers, tokens):
    user = member(role)
    assert user.has_perm("newsroom.change_release")
    assert user.has_perm("newsroom.publish_release") is publish
    assert user.has_perm("newsroom.approve_release") is approve
    assert user.has_perm("press.add_presend") is publish
    assert user.has_perm("subscriptions.view_subscriber") is subscribers
    assert user.has_perm("subscriptions.delete_subscriber") is subscribers
    assert user.has_perm("api.add_apitoken") is tokens
    assert user.has_perm("api.add_webhookendpoint") is tokens
    assert user.has_perm("workspace.view_auditentry") is tokens
    assert not user.has_perm("auth.change_user")


def test_syncing_the_roles_again_is_idempotent():
    from django.apps import apps

    before = {
        group.name: set(group.permissions.all()) for group in Group.objects.filter(name__in=roles.NAMES)
    }
    roles.sync_roles(apps)
    after = {group.name: set(group.permissions.all()) for group in Group.objects.filter(name__in=roles.NAMES)}
    assert before == after


def test_migrate_puts_back_a_deleted_role_and_leaves_a_changed_one_alone():
    from django.core.management.sql import emit_post_migrate_signal

    Group.objects.get(name=roles.EDITOR).delete()
    publisher = Group.objects.get(name=roles.PUBLISHER)
    publisher.permissions.remove(Permission.objects.get(codename="publish_release"))

    emit_post_migrate_signal(0, False, "default")

    editor = Group.objects.get(name=roles.EDITOR)
    assert editor.permissions.count() == len(set(roles.PERMISSIONS[roles.EDITOR]))
    assert not publisher.permissions.filter(codename="publish_release").exists()
