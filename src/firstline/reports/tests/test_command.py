"""Acknowledge and assign from the command centre: resolved through the scoped
queryset (404 outside it, nothing written), the assignee checked against the
alert's site and company, one audit row per change."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from firstline.access.models import Alert
from firstline.core.models import AuditAction as CoreAuditAction
from firstline.core.models import AuditEvent
from firstline.health.models import HealthAlert
from firstline.orgs.selectors import scope_for_user
from firstline.reports.models import AuditAction
from firstline.reports.services import command
from firstline.reports.tests.alerts import gate_alert, health_alert, overdue_alert
from firstline.sanitation.models import OverdueAlert
from firstline.testing.world import make_user

pytestmark = pytest.mark.django_db


def act(user, fn, alert, source, **extra):
    return fn(actor=user, scope=scope_for_user(user), source=source, alert_id=alert.pk, **extra)


def test_ack_own_alert_once(world):
    alert = gate_alert(world.a)
    manager = world.a.users["site_manager"]
    assert act(manager, command.alert_ack, alert, "access") is True
    assert act(manager, command.alert_ack, alert, "access") is False
    row = Alert.all_tenants.get(pk=alert.pk)
    assert row.acknowledged_at is not None and row.acknowledged_by_id == manager.pk
    assert (
        AuditEvent.objects.filter(
            action=CoreAuditAction.ALERT_ACKNOWLEDGE, object_id=str(alert.pk)
        ).count()
        == 1
    )


@pytest.mark.parametrize(
    ("source", "make"),
    [("access", gate_alert), ("health", health_alert), ("sanitation", overdue_alert)],
)
def test_other_companys_alert_is_404_and_unchanged(world, source, make):
    theirs = make(world.b)
    admin = world.a.users["company_admin"]
    with pytest.raises(Http404):
        act(admin, command.alert_ack, theirs, source)
    with pytest.raises(Http404):
        act(admin, command.alert_assign, theirs, source, assignee=admin.pk)
    row = type(theirs).all_tenants.get(pk=theirs.pk)
    assert row.acknowledged_at is None and row.assigned_to_id is None
    assert not AuditEvent.objects.filter(object_id=str(theirs.pk)).exists()


def test_source_the_user_may_not_see_is_404(world):
    alert = overdue_alert(world.a)
    with pytest.raises(Http404):  # a health officer has no sanitation alerts
        act(world.a.users["health_officer"], command.alert_ack, alert, "sanitation")
    with pytest.raises(Http404):
        act(world.a.users["site_manager"], command.alert_ack, alert, "nonsense")
    assert OverdueAlert.all_tenants.get(pk=alert.pk).acknowledged_at is None


def test_authority_cannot_act(world):
    alert = gate_alert(world.a)
    with pytest.raises(Http404):
        act(world.users["authority_viewer"], command.alert_ack, alert, "access")


def test_assign_to_site_staff_and_company_admin(world):
    alert = health_alert(world.a)
    manager = world.a.users["site_manager"]
    guard = world.a.users["guard"]
    assert act(manager, command.alert_assign, alert, "health", assignee=guard.pk) is True
    row = HealthAlert.all_tenants.get(pk=alert.pk)
    assert row.assigned_to_id == guard.pk and row.assigned_at is not None
    audit = AuditEvent.objects.get(action=AuditAction.ALERT_ASSIGN, object_id=str(alert.pk))
    assert audit.changes == {"assigned_to": [None, guard.pk]}
    assert audit.actor_id == manager.pk
    assert act(manager, command.alert_assign, alert, "health", assignee=guard.pk) is False
    admin = world.a.users["company_admin"]
    assert act(manager, command.alert_assign, alert, "health", assignee=admin) is True
    assert HealthAlert.all_tenants.get(pk=alert.pk).assigned_to_id == admin.pk


@pytest.mark.parametrize("who", ["other_company", "resident", "no_role", "other_site", "missing"])
def test_assignee_outside_the_site_is_a_clear_error(world, who):
    alert = health_alert(world.a)
    other_site_staff = make_user("elsewhere")
    from firstline.estates.models import Site
    from firstline.orgs.models import RoleAssignment

    second = Site.all_tenants.create(
        company=world.a.company, name="a二期", name_initials="AEQ", community=world.a.site.community
    )
    RoleAssignment.objects.create(
        user=other_site_staff, role="guard", company=world.a.company, site=second
    )
    assignee = {
        "other_company": world.b.users["site_manager"].pk,
        "resident": world.a.users["resident"].pk,
        "no_role": world.users["no_role"].pk,
        "other_site": other_site_staff.pk,
        "missing": 999999,
    }[who]
    with pytest.raises(ValidationError) as exc:
        act(world.a.users["site_manager"], command.alert_assign, alert, "health", assignee=assignee)
    assert "assignee" in exc.value.message_dict
    assert "工作人员" in exc.value.message_dict["assignee"][0]
    assert HealthAlert.all_tenants.get(pk=alert.pk).assigned_to_id is None
    assert not AuditEvent.objects.filter(action=AuditAction.ALERT_ASSIGN).exists()


def test_assignee_not_a_number(world):
    alert = health_alert(world.a)
    with pytest.raises(ValidationError) as exc:
        act(world.a.users["site_manager"], command.alert_assign, alert, "health", assignee="")
    assert exc.value.message_dict["assignee"] == ["请选择处理人。"]


def test_assignable_users_per_site(world):
    rows = [{"site_id": world.a.site.pk, "company_id": world.a.company.pk}]
    people = {p["id"] for p in command.assignable_users(rows)[world.a.site.pk]}
    users = world.a.users
    assert people == {
        users[r].pk for r in ("company_admin", "site_manager", "guard", "cleaner", "health_officer")
    }
