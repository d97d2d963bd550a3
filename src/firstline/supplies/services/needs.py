"""Needs: a site's or a company's request for supplies, and the one rule that says
what state a need line is in.

A need records the facts it was made on (staff on duty, people in isolation), read
live at the moment of the request, so the coordinator weighing it later sees why it
was asked. A need line's figures (committed by an approved plan, in transit once
dispatched, fulfilled once received) are moved by allocation.py and shipments; every
such writer then calls `needlines_refresh(ids)` so the states follow from the figures
in one place, set-based.

`live_figures` counts, one query per figure grouped by (company, site), what the
planner weighs lines by; it reads across tenants only to return counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.core.services import audit_record
from firstline.estates.models import Resident, Site, Staff
from firstline.supplies.models import AuditAction, Item, Need, NeedLine

REQUEST = "supplies.request_supplies"
FEVER_DAYS = 7  # gate fever alerts this recent count towards a site's risk
MAX_LINES = 20


# --- live figures -------------------------------------------------------------------------


@dataclass
class SiteFigures:
    staff: int = 0
    isolation: int = 0
    red: int = 0
    fevers: int = 0
    residents: int = 0

    def add(self, other: SiteFigures) -> None:
        self.staff += other.staff
        self.isolation += other.isolation
        self.red += other.red
        self.fevers += other.fevers
        self.residents += other.residents


def _grouped(qs, companies) -> Iterable[tuple[int, int, int]]:
    return (
        qs.filter(company_id__in=companies)
        .values_list("company_id", "site_id")
        .order_by()
        .annotate(n=Count("id"))
    )


def live_figures(company_ids) -> dict[tuple[int, int], SiteFigures]:
    """{(company id, site id): figures} for the companies (ids or a subquery): five
    grouped count queries. A company's own figure is the sum over its sites
    (`company_figures`)."""
    from firstline.access.models import Alert
    from firstline.health.models import Declaration, IsolationCase, Status

    out: dict[tuple[int, int], SiteFigures] = defaultdict(SiteFigures)
    since = timezone.now() - timedelta(days=FEVER_DAYS)
    counts = {
        "staff": Staff.all_tenants.filter(on_duty=True),
        "isolation": IsolationCase.all_tenants.filter(
            state__in=[IsolationCase.State.ACTIVE, IsolationCase.State.ESCALATED]
        ),
        "red": Declaration.all_tenants.filter(current=True, status=Status.RED),
        "fevers": Alert.all_tenants.filter(kind=Alert.Kind.FEVER, created_at__gte=since),
        "residents": Resident.all_tenants.all(),
    }
    for name, qs in counts.items():
        for company_id, site_id, n in _grouped(qs, company_ids):
            setattr(out[(company_id, site_id)], name, n)
    return dict(out)


def company_figures(figures: dict[tuple[int, int], SiteFigures]) -> dict[int, SiteFigures]:
    out: dict[int, SiteFigures] = defaultdict(SiteFigures)
    for (company_id, _site_id), fig in figures.items():
        out[company_id].add(fig)
    return dict(out)


# --- states -------------------------------------------------------------------------------


def needlines_refresh(ids: Iterable[int]) -> None:
    """Set the state of the need lines `ids` from their figures, and of their needs
    from their lines: two UPDATE statements. A cancelled line or need stays cancelled.

    line:  FULFILLED when fulfilled ≥ quantity; PARTLY when anything is committed,
           in transit or fulfilled; OPEN otherwise.
    need:  FULFILLED when every live line is; PARTLY when any line has moved; else OPEN.
    """
    ids = sorted(set(ids))
    if not ids:
        return
    NeedLine.all_tenants.filter(pk__in=ids).exclude(state=NeedLine.State.CANCELLED).update(
        state=Case(
            When(fulfilled__gte=F("quantity"), then=Value(NeedLine.State.FULFILLED)),
            When(
                Q(committed__gt=0) | Q(in_transit__gt=0) | Q(fulfilled__gt=0),
                then=Value(NeedLine.State.PARTLY),
            ),
            default=Value(NeedLine.State.OPEN),
        )
    )
    live = NeedLine.all_tenants.filter(need_id=OuterRef("pk")).exclude(
        state=NeedLine.State.CANCELLED
    )
    Need.all_tenants.filter(
        pk__in=NeedLine.all_tenants.filter(pk__in=ids).values("need_id")
    ).exclude(state=Need.State.CANCELLED).update(
        state=Case(
            When(
                ~Exists(live.exclude(state=NeedLine.State.FULFILLED)) & Exists(live),
                then=Value(Need.State.FULFILLED),
            ),
            When(
                Exists(live.exclude(state=NeedLine.State.OPEN)),
                then=Value(Need.State.PARTLY),
            ),
            default=Value(Need.State.OPEN),
        )
    )


def needline_refresh_state(line: NeedLine) -> None:
    needlines_refresh([line.pk])


# --- services -----------------------------------------------------------------------------


def _check_place(scope: Scope, company, site) -> None:
    """A company admin may ask for the company or any of its sites; a site manager
    only for a site they hold. Anything else is answered like a missing object."""
    companies = scope.ids(Target.COMPANY)
    if site is not None:
        if site.company_id != company.pk:
            raise Http404
        if company.pk in companies or site.pk in scope.ids(Target.SITE):
            return
        raise Http404
    if company.pk not in companies:
        raise Http404


def _clean_lines(lines: Sequence[tuple[Item, int]]) -> list[tuple[Item, int]]:
    if not lines:
        raise ValidationError({"lines": _("请至少填写一种物资。")})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("一次最多申请 %(n)d 种物资。") % {"n": MAX_LINES}})
    seen: set[int] = set()
    out = []
    for index, (item, quantity) in enumerate(lines, start=1):
        where = _("第 %(n)d 行") % {"n": index}
        if item is None:
            raise ValidationError({"lines": _("%(where)s：请选择物资。") % {"where": where}})
        if not item.active:
            raise ValidationError(
                {"lines": _("%(where)s：%(item)s已停用。") % {"where": where, "item": item.name}}
            )
        if quantity is None or int(quantity) <= 0:
            raise ValidationError({"lines": _("%(where)s：数量必须大于 0。") % {"where": where}})
        if item.pk in seen:
            raise ValidationError(
                {"lines": _("%(where)s：%(item)s重复。") % {"where": where, "item": item.name}}
            )
        seen.add(item.pk)
        out.append((item, int(quantity)))
    return out


def place_figures(company, site=None) -> SiteFigures:
    """The live figures of one site, or of a whole company (its sites summed)."""
    figures = live_figures([company.pk])
    if site is not None:
        return figures.get((company.pk, site.pk), SiteFigures())
    return company_figures(figures).get(company.pk, SiteFigures())


def need_create(
    *,
    actor,
    scope: Scope,
    company,
    site: Site | None = None,
    justification: str,
    lines: Sequence[tuple[Item, int]],
    staff_on_duty: int | None = None,
    isolation_cases: int | None = None,
) -> Need:
    """Record a request. `scope` is the actor's scope (narrowed to the request
    permission here); a place outside it raises Http404."""
    _check_place(scope.for_perm(REQUEST), company, site)
    justification = (justification or "").strip()
    if not justification:
        raise ValidationError({"justification": _("请说明需求理由。")})
    cleaned = _clean_lines(lines)
    if staff_on_duty is None or isolation_cases is None:
        live = place_figures(company, site)
        staff_on_duty = live.staff if staff_on_duty is None else staff_on_duty
        isolation_cases = live.isolation if isolation_cases is None else isolation_cases
    if staff_on_duty < 0 or isolation_cases < 0:
        raise ValidationError({"staff_on_duty": _("人数不能为负数。")})
    with transaction.atomic():
        need = Need.all_tenants.create(
            company=company,
            site=site,
            justification=justification,
            staff_on_duty=staff_on_duty,
            isolation_cases=isolation_cases,
            requested_at=timezone.now(),
            requested_by=actor,
        )
        NeedLine.all_tenants.bulk_create(
            [
                NeedLine(company=company, site=site, need=need, item=item, quantity=quantity)
                for item, quantity in cleaned
            ]
        )
        audit_record(
            actor=actor,
            company_id=company.pk,
            action=AuditAction.NEED_CREATE,
            obj=need,
            changes={
                "site": site.pk if site else None,
                "lines": {item.code: quantity for item, quantity in cleaned},
                "staff_on_duty": staff_on_duty,
                "isolation_cases": isolation_cases,
            },
        )
    return need


def need_cancel(*, actor, need: Need) -> Need:
    """Withdraw a request nothing has been allocated to yet. The caller fetched `need`
    through its scope; the state change is conditional, so two cancels are one."""
    with transaction.atomic():
        # Lock the lines in id order, as plan_approve does, so a cancel and an
        # approval of the same need cannot both succeed.
        figures = list(
            NeedLine.all_tenants.select_for_update()
            .filter(need_id=need.pk)
            .order_by("pk")
            .values_list("committed", "in_transit", "fulfilled")
        )
        if any(any(row) for row in figures):
            raise ValidationError(_("已有物资分配给这项需求，不能取消。"))
        done = Need.all_tenants.filter(pk=need.pk, state=Need.State.OPEN).update(
            state=Need.State.CANCELLED
        )
        if not done:
            raise ValidationError(_("只有待分配的需求可以取消。"))
        NeedLine.all_tenants.filter(need_id=need.pk).update(state=NeedLine.State.CANCELLED)
        audit_record(
            actor=actor, company_id=need.company_id, action=AuditAction.NEED_CANCEL, obj=need
        )
    need.state = Need.State.CANCELLED
    return need
