"""Who edits the public site: Firstline's roles, mapped onto Wagtail's groups.

Wagtail decides access to its editor and to each page by Django groups and page
permissions. Firstline decides people's rights by role assignments. This module keeps
the first in step with the second: an association's content editor is in Wagtail's
"Editors" group (writes drafts and submits them for moderation), an association
admin in "Moderators" too (approves, publishes, schedules); nobody else is in either,
and a user's groups follow each change of their roles and each sign-in.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save

from firstline.core.roles import Role
from firstline.orgs.models import RoleAssignment, User

EDITORS = "Editors"
MODERATORS = "Moderators"
GROUPS_OF_ROLE = {
    Role.CONTENT_EDITOR: {EDITORS},
    Role.ASSOCIATION_ADMIN: {EDITORS, MODERATORS},
}
MANAGED = {EDITORS, MODERATORS}


def editor_groups_sync(*, user: User) -> set[str]:
    """Put the user in exactly the Wagtail groups their roles give; returns them."""
    roles = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    wanted = set().union(*(GROUPS_OF_ROLE.get(role, set()) for role in roles))
    groups = {g.name: g for g in Group.objects.filter(name__in=MANAGED)}
    current = set(user.groups.filter(name__in=MANAGED).values_list("name", flat=True))
    if add := [groups[name] for name in wanted - current if name in groups]:
        user.groups.add(*add)
    if remove := [groups[name] for name in current - wanted]:
        user.groups.remove(*remove)
    return wanted & set(groups)


def _on_assignment(sender, instance: RoleAssignment, **kwargs):
    if instance.user_id:
        editor_groups_sync(user=User.objects.get(pk=instance.user_id))


def _on_login(sender, request, user, **kwargs):
    editor_groups_sync(user=user)


def connect() -> None:
    post_save.connect(_on_assignment, sender=RoleAssignment, dispatch_uid="publishing-roles")
    post_delete.connect(_on_assignment, sender=RoleAssignment, dispatch_uid="publishing-roles-d")
    user_logged_in.connect(_on_login, dispatch_uid="publishing-login")
