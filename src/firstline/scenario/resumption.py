"""Demo: offices and shops back at work (issue #21).

The world's first office building (写字楼) and first commercial complex (商业综合体),
in the order of its sites (the demo logins' company first), come under office gate
rules (08:30–18:30, 40 people a floor) from three days ago. Their tenant companies are registered through the
resumption services with applications in every state: approved ones (some with a
headcount below what was asked) with returning staff and their passes, submitted
ones waiting, a refused one, a suspended one (its passes revoked), drafts and
tenants that have not applied. The staff of approved tenants came in and left on
the last three days through the gate service (device times in working hours), and
a few came before the doors opened and were refused. The demo login
`tenant_1` is the office building's first tenant's admin (approved), `building_1`
that building's site manager.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from firstline.access.models import Mode
from firstline.access.services import gate as access_gate
from firstline.estates.models import Building, Resident, Site
from firstline.orgs.validators import credit_code_check_char
from firstline.resumption.models import Application, Tenant
from firstline.resumption.services import applications, staff, tenants
from firstline.scenario.people import PeopleFactory

HOURS = (time(8, 30), time(18, 30))
FLOOR_CAP = 40
TENANT_NAMES = (
    "武汉长江数据科技有限公司",
    "湖北楚天律师事务所",
    "武汉汉正会计师事务所有限公司",
    "中南建筑设计咨询有限公司",
    "武汉光谷云信息技术有限公司",
    "湖北江城广告传媒有限公司",
    "武汉九省通商贸有限公司",
    "汉口银行江汉支行",
    "武汉晴川教育咨询有限公司",
    "湖北黄鹤保险代理有限公司",
)
SHOP_NAMES = (
    "江汉天地超市",
    "楚味餐饮管理有限公司",
    "武汉优衣服饰有限公司",
    "汉街数码电器有限公司",
    "武汉悦读书店有限公司",
)
# Each tenant's story, in order: (state, staff registered, asked, approved).
STORIES = (
    ("approved", 8, 10, 8),
    ("approved", 6, 6, 5),
    ("approved", 5, 8, 5),
    ("submitted", 3, 12, None),
    ("refused", 0, 30, None),
    ("suspended", 4, 4, 4),
    ("draft", 0, 9, None),
    ("approved", 4, 4, 4),
    ("submitted", 0, 5, None),
    (None, 0, 0, None),
)
SHOP_STORIES = (
    ("approved", 6, 8, 6),
    ("approved", 3, 3, 3),
    ("submitted", 2, 6, None),
    ("draft", 0, 4, None),
    (None, 0, 0, None),
)
ORIGINS = (["420103"], ["420106", "420102"], ["4201"], ["420111"], ["420103", "42"])


@dataclass
class ResumptionReport:
    buildings: list[Site] = field(default_factory=list)
    tenants: list[Tenant] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    staff: int = 0
    passes: int = 0
    events: int = 0
    refused: int = 0

    def figures(self) -> dict:
        return {
            "buildings": len(self.buildings),
            "tenants": len(self.tenants),
            **{f"applications_{k}": v for k, v in sorted(self.states.items())},
            "staff": self.staff,
            "passes": self.passes,
            "gate_events": self.events,
            "gate_refused": self.refused,
        }


def credit_code(serial: int) -> str:
    first17 = f"91420103MA{serial:07d}"
    return first17 + credit_code_check_char(first17)


def buildings_of(sites: list[Site]) -> list[tuple[Site, Building]]:
    """The first office building and the first commercial complex among `sites`, each
    with its first building."""
    chosen = []
    for kind in (Site.Type.OFFICE, Site.Type.COMMERCIAL):
        site = next((s for s in sites if s.site_type == kind), None)
        if site is None:
            continue
        building = Building.all_tenants.filter(site=site).order_by("id").first()
        if building is None:
            building = Building.all_tenants.create(
                company_id=site.company_id, site=site, name="A座", floors=20
            )
        chosen.append((site, building))
    return chosen


def build_resumption(*, rng: random.Random, now: datetime, sites: list[Site]) -> ResumptionReport:
    report = ResumptionReport()
    people = PeopleFactory(rng)
    serial = rng.randrange(1_000_000, 9_000_000)
    local = timezone.localtime(now)
    since = datetime.combine(local.date() - timedelta(days=3), time.min, tzinfo=local.tzinfo)
    for (site, building), names, stories in zip(
        buildings_of(sites), (TENANT_NAMES, SHOP_NAMES), (STORIES, SHOP_STORIES), strict=False
    ):
        floors = max(building.floors, 1)
        report.buildings.append(site)
        access_gate.policy_publish(
            actor=None,
            site=site,
            data={
                "mode": Mode.OFFICE,
                "effective_from": since,
                "office_hours_start": HOURS[0],
                "office_hours_end": HOURS[1],
                "floor_cap": FLOOR_CAP,
                "visitor_rule": "escorted",
            },
        )
        admitted: list[Resident] = []
        for n, (tenant_name, story) in enumerate(zip(names, stories, strict=True)):
            state, heads, asked, approved = story
            floor = str(1 + (2 + 3 * n) % floors)
            serial += 1
            contact = people.person(birth_year=1975 + n)
            tenant = tenants.tenant_register(
                actor=None,
                building=building,
                floor=floor,
                room=f"{floor}{n + 1:02d}",
                data={
                    "name": tenant_name,
                    "credit_code": credit_code(serial),
                    "floors": floor,
                    "contact_name": contact.name,
                },
                phone=contact.phone,
            )
            report.tenants.append(tenant)
            team = []
            for _ in range(heads):
                person = people.person(birth_year=rng.randrange(1970, 2000))
                try:
                    team.append(
                        staff.staff_register(
                            actor=None,
                            tenant=tenant,
                            name=person.name,
                            phone=person.phone,
                            id_number=person.id_number,
                        )
                    )
                except ValidationError:  # an ID number the company holds already
                    continue
            report.staff += len(team)
            if state is None:
                continue
            application = applications.application_save(
                actor=None,
                tenant=tenant,
                data={
                    "planned_date": local.date() - timedelta(days=rng.randrange(1, 20)),
                    "headcount": asked,
                    "origin_codes": ORIGINS[n % len(ORIGINS)],
                    "prevention_plan": "入口测温、查验通行证；办公区每日消毒两次；"
                    "员工错峰上下班，工位间隔一米以上；食堂分餐。",
                    "person_in_charge": contact.name,
                },
            )
            if state != "draft":
                application = applications.application_submit(actor=None, application=application)
            if state == "refused":
                applications.application_refuse(
                    actor=None,
                    application=application,
                    reason="返岗人数超过楼层承载能力，防控方案未明确隔离观察区",
                )
            if state in ("approved", "suspended"):
                application = applications.application_approve(
                    actor=None,
                    application=application,
                    approved_headcount=approved,
                    conditions="错峰上下班；每日上报员工健康情况；电梯限载 4 人",
                )
                # decided on some day of the last fortnight (the association's series)
                Application.all_tenants.filter(pk=application.pk).update(
                    decided_at=now - timedelta(days=rng.randrange(1, 15), hours=rng.randrange(8))
                )
                staff.passes_issue(actor=None, tenant=tenant)
                if state == "suspended":
                    applications.application_suspend(
                        actor=None, application=application, reason="员工中出现发热病例，暂停复工"
                    )
                else:
                    holding = set(staff.active_passes(tenant).values_list("resident_id", flat=True))
                    admitted.extend(r for r in team if r.pk in holding)
            report.states[state] = report.states.get(state, 0) + 1
        report.passes += sum(
            staff.active_passes(t).count() for t in report.tenants if t.site_id == site.pk
        )
        _gate_days(rng, site, local, admitted, report)
    return report


def _gate_days(rng, site, local, admitted, report) -> None:
    """The last three days (yesterday and the two before) in working hours: each
    holder comes in in the morning and leaves in the evening; a few arrive before
    the doors open and are refused with the hours. Today, when the doors are
    already open, half of them have come in."""
    inputs = []
    for back in (3, 2, 1):
        day = (local - timedelta(days=back)).date()
        for resident in admitted:
            if rng.random() < 0.15:
                continue
            start = datetime.combine(day, time(8, 40), tzinfo=local.tzinfo) + timedelta(
                minutes=rng.randrange(0, 80)
            )
            end = datetime.combine(day, time(17, 30), tzinfo=local.tzinfo) + timedelta(
                minutes=rng.randrange(0, 55)
            )
            temperature = Decimal(f"36.{rng.randrange(1, 8)}")
            inputs.append(_event(resident, "in", start, temperature, rng))
            inputs.append(_event(resident, "out", end, None, rng))
        for resident in admitted[:2]:
            early = datetime.combine(day, time(7, 45), tzinfo=local.tzinfo)
            inputs.append(_event(resident, "in", early, Decimal("36.5"), rng))
    opened = datetime.combine(local.date(), HOURS[0], tzinfo=local.tzinfo)
    if local.time() < HOURS[1] and local - opened > timedelta(minutes=10):
        span = int((local - opened).total_seconds() // 60) - 2
        for resident in admitted[::2]:
            at = opened + timedelta(minutes=rng.randrange(1, span))
            inputs.append(_event(resident, "in", at, Decimal("36.4"), rng))
    results = access_gate.events_record(site=site, inputs=inputs)
    report.events += len(results)
    report.refused += sum(1 for r in results if r.decision == "deny")


def _event(resident, direction, at, temperature, rng):
    return access_gate.GateInput(
        client_uuid=uuid.UUID(int=rng.getrandbits(128)),
        direction=direction,
        device_time=at,
        resident_id=resident.pk,
        temperature=temperature,
    )
