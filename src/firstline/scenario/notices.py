"""Demo notices (issue #15): the association's city-wide call, the 江汉 authority's
notice to its district, the first site's manager's notices to residents (one urgent,
sent also by text message through the console backend) and to staff, one scheduled
for tomorrow and one draft, all written and published through the notices services
as the demo logins would. Some residents of the first site have read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from firstline.estates.models import Household, Site
from firstline.notices.models import Notice
from firstline.notices.services.notices import notice_create, notice_publish
from firstline.notices.services.reading import notice_read
from firstline.orgs.models import RoleAssignment, User
from firstline.orgs.selectors import scope_for_user


@dataclass
class NoticesReport:
    counts: dict[str, int] = field(default_factory=dict)

    def figures(self) -> dict[str, int]:
        return dict(self.counts)


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _write(user: User, *, publish: bool = True, **fields) -> Notice:
    notice = notice_create(actor=user, scope=scope_for_user(user), **fields)
    return notice_publish(actor=user, notice=notice) if publish else notice


def build_notices(*, now: datetime, sites: list[Site]) -> NoticesReport:
    report = NoticesReport()
    manager, association, authority = (
        _user("manager_1"),
        _user("assoc_admin"),
        _user("authority_jianghan"),
    )
    if manager is None or not sites:
        return report
    site = sites[0]
    made: list[Notice] = []
    if association is not None:
        made.append(
            _write(
                association,
                target_kind=Notice.TargetKind.DIVISION,
                target_division=site.community.code[:4],  # 武汉市
                to_residents=True,
                to_staff=True,
                title="致全市业主和物业服务人员的倡议书",
                body=(
                    "<p>疫情防控进入关键阶段，物业服务企业是社区防控的“第一道防线”。</p>"
                    "<ul><li>请业主配合小区封闭管理，出入主动出示通行证、测量体温；</li>"
                    "<li>如实填报行程与健康申报；</li><li>减少外出，不聚集。</li></ul>"
                    "<p>向坚守岗位的物业服务人员致敬！</p>"
                ),
                expires_at=now + timedelta(days=30),
            )
        )
    if authority is not None:
        district = RoleAssignment.objects.filter(user=authority).values_list(
            "division__code", flat=True
        )
        made.append(
            _write(
                authority,
                target_kind=Notice.TargetKind.DIVISION,
                target_division=district.first(),
                to_residents=True,
                title="关于进一步加强住宅小区封闭管理的通告",
                body=(
                    "<p>即日起，辖区内所有住宅小区实行封闭管理：</p>"
                    "<ol><li>只保留一个出入口，24 小时值守；</li>"
                    "<li>每户每三天可指派一名家庭成员外出采购生活物资；</li>"
                    "<li>非本小区人员、车辆一律不得进入。</li></ol>"
                ),
            )
        )
    made.append(
        _write(
            manager,
            target_kind=Notice.TargetKind.SITE,
            target_site=site.pk,
            to_residents=True,
            title="紧急通知：今晚 19:00 起按楼栋分批进行核酸检测",
            body=(
                "<p>请各位业主按楼栋顺序到北门广场检测点排队，佩戴口罩，保持一米间距。</p>"
                "<p>行动不便的居民请致电物业服务中心，医护人员上门采样。</p>"
            ),
            urgency=Notice.Urgency.URGENT,
            also_sms=True,
            expires_at=now + timedelta(days=1),
        )
    )
    made.append(
        _write(
            manager,
            target_kind=Notice.TargetKind.SITE,
            target_site=site.pk,
            to_residents=False,
            to_staff=True,
            title="门岗排班调整及防护用品领取",
            body="<p>自明日起门岗改为三班倒，请到物业服务中心领取口罩、手套和消毒液。</p>",
        )
    )
    made.append(
        _write(
            manager,
            target_kind=Notice.TargetKind.SITE,
            target_site=site.pk,
            title="明日小区公共区域全面消杀",
            body="<p>明天上午 9:00 起对电梯、楼道和垃圾收集点进行全面消杀，请关好门窗。</p>",
            publish_at=now + timedelta(days=1),
        )
    )
    _write(
        manager,
        publish=False,
        target_kind=Notice.TargetKind.SITE,
        target_site=site.pk,
        title="（草稿）蔬菜团购配送安排",
        body="<p>本周蔬菜包周三、周六配送到楼栋门口。</p>",
    )
    # A few households of the first site have read the first notices (by account-less
    # residents, as the one-time-code pages record them).
    households = list(Household.all_tenants.filter(site=site).order_by("id")[:12])
    from firstline.estates.models import Resident

    readers = list(
        Resident.all_tenants.filter(household__in=households)
        .order_by("id")
        .values("pk", "household_id")
    )
    reads = 0
    for notice in made[:3]:
        if not notice.to_residents:
            continue
        for row in readers[: 8 if notice.urgent else 5]:
            reads += notice_read(
                notice=notice,
                resident_id=row["pk"],
                company_id=site.company_id,
                site_id=site.pk,
                household_id=row["household_id"],
                now=now,
            )
    report.counts = {"notices": len(made) + 1, "reads": reads}
    return report
