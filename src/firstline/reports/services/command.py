"""The command centre's writes: acknowledge an alert, assign it to someone.

An alert is named by (source, id), and found only through the scoped queryset of its
table, limited to the grants that may both see that table's alerts and act on them
(reports.act_alert): another company's alert, or one the user may only watch, is a
404 like a missing one. Acknowledging is core's `alert_acknowledge` (one conditional
update + audit row). Assigning checks that the assignee works at the alert's site or
for its company (a staff role assignment, not a resident's), updates only if the
alert is still assigned as it was read, and writes its audit row in the same
transaction.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.core.models import AlertModel
from firstline.core.roles import Role
from firstline.core.scope import Scope
from firstline.core.services import alert_acknowledge, audit_record
from firstline.orgs.models import RoleAssignment
from firstline.reports.models import AuditAction
from firstline.reports.selectors.feed import ACT_PERM, SOURCES

# Roles that can take an alert on: the site's and the company's staff.
ASSIGNABLE_ROLES = (
    Role.COMPANY_ADMIN,
    Role.SITE_MANAGER,
    Role.HEALTH_OFFICER,
    Role.GUARD,
    Role.CLEANER,
)
ALERT_FIELDS = ("id", "company_id", "site_id", "acknowledged_at", "assigned_to_id")


def act_scope(scope: Scope, source: str) -> Scope:
    """The grants that may both see the source's alerts and act on them."""
    if source not in SOURCES:
        raise Http404
    _model, view_perm = SOURCES[source]
    return scope.for_perm(view_perm).for_perm(ACT_PERM)


def alert_resolve(*, scope: Scope, source: str, alert_id) -> AlertModel:
    """The alert (source, id) within what the scope may act on; 404 otherwise."""
    model, _perm = SOURCES.get(source, (None, None))
    if model is None:
        raise Http404
    try:
        alert_id = int(alert_id)
    except (TypeError, ValueError):
        raise Http404 from None
    alert = (
        model.objects.for_scope(act_scope(scope, source))
        .filter(pk=alert_id)
        .only(*ALERT_FIELDS)
        .first()
    )
    if alert is None:
        raise Http404
    return alert


def alert_ack(*, actor, scope: Scope, source: str, alert_id) -> bool:
    """Acknowledge (source, id): False when it was already acknowledged."""
    alert = alert_resolve(scope=scope, source=source, alert_id=alert_id)
    return alert_acknowledge(actor=actor, alert=alert)


def _assignable_q(*, site_ids, company_ids) -> Q:
    """Staff role assignments at one of the sites, or over one of the companies."""
    return Q(role__in=ASSIGNABLE_ROLES, user__is_active=True) & (
        Q(site_id__in=site_ids) | Q(company_id__in=company_ids, site__isnull=True)
    )


def alert_assign(*, actor, scope: Scope, source: str, alert_id, assignee) -> bool:
    """Assign (source, id) to `assignee` (a user or a user id). False when it already
    was; a ValidationError on `assignee` when they do not work at the alert's site or
    company, or when someone else assigned it meanwhile."""
    alert = alert_resolve(scope=scope, source=source, alert_id=alert_id)
    assignee_id = getattr(assignee, "pk", assignee)
    try:
        assignee_id = int(assignee_id)
    except (TypeError, ValueError):
        raise ValidationError({"assignee": _("请选择处理人。")}) from None
    works_there = RoleAssignment.objects.filter(
        _assignable_q(site_ids=[alert.site_id], company_ids=[alert.company_id]),
        company_id=alert.company_id,
        user_id=assignee_id,
    ).exists()
    if not works_there:
        raise ValidationError({"assignee": _("处理人必须是该项目或所属企业的工作人员。")})
    if alert.assigned_to_id == assignee_id:
        return False
    now = timezone.now()
    model = type(alert)
    with transaction.atomic():
        # Only if nobody re-assigned it since we read it: two dispatchers, one winner.
        updated = model.all_tenants.filter(pk=alert.pk, assigned_to_id=alert.assigned_to_id).update(
            assigned_to_id=assignee_id, assigned_at=now, updated_at=now
        )
        if not updated:
            raise ValidationError({"assignee": _("该告警刚被他人分派，请刷新后再试。")})
        audit_record(
            actor=actor,
            company_id=alert.company_id,
            action=AuditAction.ALERT_ASSIGN,
            obj=alert,
            changes={"assigned_to": [alert.assigned_to_id, assignee_id]},
        )
    return True


def assignable_users(rows: list[dict]) -> dict[int, list[dict]]:
    """{site_id: [{id, name}]} of the people each row's alert may be assigned to: one
    query for the whole page."""
    site_companies = {row["site_id"]: row["company_id"] for row in rows}
    if not site_companies:
        return {}
    grants = (
        RoleAssignment.objects.filter(
            _assignable_q(site_ids=list(site_companies), company_ids=set(site_companies.values()))
        )
        .order_by("user__display_name", "user_id")
        .values("user_id", "user__display_name", "user__username", "site_id", "company_id")
    )
    by_site: dict[int, dict[int, str]] = defaultdict(dict)
    by_company: dict[int, dict[int, str]] = defaultdict(dict)
    for g in grants:
        name = g["user__display_name"] or g["user__username"]
        if g["site_id"]:
            by_site[g["site_id"]][g["user_id"]] = name
        else:
            by_company[g["company_id"]][g["user_id"]] = name
    out = {}
    for site_id, company_id in site_companies.items():
        people = {**by_company[company_id], **by_site[site_id]}
        out[site_id] = [
            {"id": pk, "name": name}
            for pk, name in sorted(people.items(), key=lambda kv: (kv[1], kv[0]))
        ]
    return out
