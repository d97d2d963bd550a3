"""The demo's legal and policy consultations (issue #21): the association's five
categories with their service levels, five experts (expert_1 … expert_5: lawyers, a
tax adviser, the association's own staff) with a conflict of interest, thirty
questions of member companies over the last month in every state (new, assigned,
answered, awaiting a reply, resolved, closed with a rating; some overdue), their
threads, one answer published on the public FAQ page and one FAQ draft, and two
online sessions (one held, with attendance; one coming, with questions in advance).

Rows are written directly (backdated), the way the world's other steps write
history; the one FAQ item goes through the service, so the public page gets a new
Wagtail revision as the desk's approval makes it. Its randomness is its own stream."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from firstline.consultations.models import (
    Area,
    Assignment,
    Category,
    Conflict,
    Consultation,
    Expert,
    FaqDraft,
    Message,
    Registration,
    Session,
)
from firstline.consultations.services import faq, pool, sla
from firstline.consultations.services.threads import due_times
from firstline.core.roles import Role
from firstline.orgs.models import Association, Company, RoleAssignment, User
from firstline.publishing.models import FaqPage

CONSULTATIONS = 30
DAYS = 30
Status = Consultation.Status

# (username, name, kind, organisation, areas, max open)
EXPERTS = (
    ("expert_1", "周明律师", Expert.Kind.LAWYER, "湖北楚天律师事务所", ["rent", "liability"], 8),
    ("expert_2", "陈静律师", Expert.Kind.LAWYER, "武汉江城律师事务所", ["labour", "rent"], 6),
    ("expert_3", "刘洋", Expert.Kind.TAX_ADVISER, "湖北华税税务师事务所", ["tax"], 6),
    ("expert_4", "吴芳律师", Expert.Kind.LAWYER, "湖北知行律师事务所", ["liability", "other"], 5),
    ("expert_5", "赵磊", Expert.Kind.STAFF, "协会秘书处", ["other", "tax", "rent"], 10),
)

# Per category: (title, description, answer, follow-up, second answer).
QUESTIONS = {
    Area.RENT: [
        (
            "商铺租户要求疫情期间免租，物业公司如何处理？",
            "小区底商有十二家租户，停业两个月，要求全额免除租金和物业费。业主方未表态。",
            "租金减免需出租方同意；物业公司代收的，应先与业主确认。国有房屋有减免政策的按政策执行，非国有房屋鼓励协商分担，建议签订书面补充协议。",
            "如果业主不同意，物业公司是否要承担责任？",
            "物业公司作为代收方不承担减免义务，但应及时书面告知租户业主意见，保留沟通记录。",
        ),
        (
            "业主以疫情为由拒交物业费怎么办？",
            "封控期间部分业主认为服务减少，拒绝缴纳第一季度物业费。",
            "疫情防控期间物业服务并未中止，防控工作属于服务内容，业主不能以此为由拒交。可先公示防控服务内容与支出，协商分期缴纳，必要时依法催缴。",
            "可以在小区公告欠费业主名单吗？",
            "不建议公示具体业主信息，以免侵犯个人信息，可公示欠费总体情况。",
        ),
    ],
    Area.LABOUR: [
        (
            "员工滞留外地无法返岗，工资怎么发？",
            "春节返乡的保洁员被当地隔离，至今无法返岗。",
            "因政府隔离措施不能提供正常劳动的，隔离期间企业应支付正常工作期间工资；隔离期满仍不能返岗的，可协商安排年休假或按停工停产规定处理。",
            "社保需要照常缴纳吗？",
            "需要照常缴纳，可了解当地阶段性减免和缓缴政策。",
        ),
        (
            "一线保安连续加班，加班费和补助如何计算？",
            "防控期间保安每日工作十二小时，已连续一个月。",
            "超过法定工作时间的应依法支付加班工资，法定节假日按三倍计算；各地对一线防控人员有临时性工作补助，可向主管部门申报。",
            "能否用调休代替加班费？",
            "休息日加班可以安排同等时间补休，法定节假日加班不能以调休代替。",
        ),
    ],
    Area.TAX: [
        (
            "防疫物资捐赠可以税前扣除吗？",
            "公司向社区捐赠了口罩和消毒液，价值约八万元。",
            "通过公益性社会组织或县级以上人民政府及其部门捐赠用于疫情防控的物品，允许在计算应纳税所得额时全额扣除；直接向承担防控任务的医院捐赠的也可全额扣除。",
            "直接捐给社区居委会可以吗？",
            "直接捐给社区居委会不属于全额扣除范围，建议通过公益性社会组织捐赠并取得票据。",
        ),
        (
            "物业企业能享受哪些增值税减免？",
            "公司为多个住宅小区提供物业服务，想了解疫情期间税收优惠。",
            "提供生活服务取得的收入可免征增值税（按政策期限执行），物业服务属于现代服务的，请对照公告确认适用范围，并做好备案。",
            "免税收入需要单独核算吗？",
            "需要单独核算，未单独核算的不得享受免税。",
        ),
    ],
    Area.LIABILITY: [
        (
            "小区出现确诊病例，业主要求物业赔偿怎么办？",
            "一名业主确诊后，同楼栋业主认为物业消杀不到位，要求赔偿。",
            "物业公司应按防控指引履行消杀、测温等义务并留存记录；业主主张赔偿需证明物业存在过错及因果关系。建议整理消杀台账、公告和巡查记录。",
            "哪些记录最重要？",
            "消杀记录（时间、区域、药剂）、测温登记和公告送达记录最重要。",
        ),
        (
            "员工在岗期间感染，是否认定工伤？",
            "一名保洁员在隔离点服务期间确诊。",
            "在新冠肺炎预防和救治工作中，医护及相关工作人员因履行职责感染的，可认定为工伤；物业一线人员能否适用请咨询当地人社部门，并及时申报。",
            "申报时限是多久？",
            "一般自确诊之日起三十日内由单位提出，特殊情况可申请延长。",
        ),
    ],
    Area.OTHER: [
        (
            "封控期间快递外卖的管理办法有哪些依据？",
            "业主反映快递不能进小区，要求物业送货上门。",
            "可依据属地防控指挥部通告设置无接触投递点，物业无送货上门的合同义务，可视人力提供志愿服务，并在公告中说明规则。",
            "如果快递丢失物业要负责吗？",
            "投递点由快递企业放置的，一般由快递企业负责；物业代收的应尽到妥善保管义务。",
        ),
        (
            "业委会选举能否延期？",
            "原定二月召开的业主大会因疫情无法举行。",
            "可报街道办事处、乡镇人民政府同意后延期，疫情期间不宜组织聚集，也可探索线上表决。",
            "线上表决有效吗？",
            "经业主大会议事规则或街道同意的电子投票方式可以有效，注意核验业主身份。",
        ),
    ],
}

RATING_COMMENTS = ("答复及时、专业", "很有帮助", "解决了实际问题", "希望更具体一些", "")

# How the thirty spread over the states (a share each, in this order).
STATE_PLAN = (
    (Status.NEW, 4),
    (Status.ASSIGNED, 4),
    (Status.ANSWERED, 5),
    (Status.AWAITING, 3),
    (Status.RESOLVED, 5),
    (Status.CLOSED, 9),
)


@dataclass
class ConsultationsReport:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def figures(self) -> dict[str, int]:
        return dict(self.counts)


def _experts(association: Association, report: ConsultationsReport) -> list[Expert]:
    out = []
    users = {u.username: u for u in User.objects.filter(username__in=[e[0] for e in EXPERTS])}
    for username, name, kind, organisation, areas, max_open in EXPERTS:
        user = users[username]
        if user.display_name != name:
            user.display_name = name
            user.save(update_fields=["display_name"])
        out.append(
            Expert.all_tenants.create(
                association=association,
                user=user,
                name=name,
                kind=kind,
                organisation=organisation,
                areas=areas,
                max_open=max_open,
            )
        )
    report.add("experts", len(out))
    return out


def _askers(companies: list[Company]) -> dict[int, User]:
    rows = (
        RoleAssignment.objects.filter(role=Role.COMPANY_ADMIN, company__in=companies)
        .select_related("user")
        .order_by("id")
    )
    out: dict[int, User] = {}
    for row in rows:
        out.setdefault(row.company_id, row.user)
    return out


def _message(c, *, side, author, name, body, at) -> Message:
    message = Message.all_tenants.create(
        company_id=c.company_id,
        consultation=c,
        author=author,
        author_name=name,
        side=side,
        body=body,
    )
    Message.all_tenants.filter(pk=message.pk).update(created_at=at, updated_at=at)
    return message


def build_consultations(
    *,
    rng: random.Random,
    now: datetime,
    association: Association,
    companies: list[Company],
    consultations: int = CONSULTATIONS,
) -> ConsultationsReport:
    report = ConsultationsReport()
    categories = {c.kind: c for c in pool.categories_ensure(association)}
    experts = _experts(association, report)
    # expert_2 once acted for the second company: kept off its questions.
    conflicted = companies[1] if len(companies) > 1 else None
    if conflicted is not None:
        Conflict.all_tenants.create(
            association=association,
            expert=experts[1],
            company=conflicted,
            reason="曾担任该企业常年法律顾问",
        )
        report.add("conflicts")
    askers = _askers(companies)
    states = [state for state, share in STATE_PLAN for _ in range(share)]
    while len(states) < consultations:
        states.append(rng.choice([s for s, _n in STATE_PLAN]))
    states = states[:consultations]
    rng.shuffle(states)
    # The demo logins' companies ask most, so admin_anju sees a full list.
    weights = [6, 4] + [1] * (len(companies) - 2)
    made: list[Consultation] = []
    for index, state in enumerate(states):
        company = rng.choices(companies, weights=weights[: len(companies)])[0]
        kind = rng.choice(list(QUESTIONS))
        category: Category = categories[kind]
        title, description, answer, follow_up, second = rng.choice(QUESTIONS[kind])
        # The newest ones (still new or assigned) were asked in the last days.
        fresh = state in (Status.NEW, Status.ASSIGNED)
        hours_ago = rng.uniform(2, 60) if fresh else rng.uniform(72, DAYS * 24)
        asked = now - timedelta(hours=hours_ago)
        urgency = Consultation.Urgency.URGENT if rng.random() < 0.2 else Consultation.Urgency.NORMAL
        first_due, resolution_due = due_times(category, urgency, asked)
        c = Consultation.all_tenants.create(
            company=company,
            association=association,
            category=category,
            region=company.division,
            title=title,
            description=description,
            urgency=urgency,
            status=state,
            asked_by=askers.get(company.pk),
            first_reply_due=first_due,
            resolution_due=resolution_due,
        )
        asker_name = askers[company.pk].display_name if company.pk in askers else company.name[:8]
        fitting = [
            e
            for e in experts
            if kind in e.areas and not (company == conflicted and e == experts[1])
        ] or [experts[4]]
        expert = rng.choice(fitting)
        fields = {"created_at": asked, "updated_at": asked}
        if state != Status.NEW:
            Assignment.all_tenants.create(company=company, consultation=c, expert=expert)
            report.add("assignments")
            if index % 7 == 0:  # a second opinion now and then
                other = next((e for e in experts if e != expert and e in fitting), None)
                if other is not None:
                    Assignment.all_tenants.create(company=company, consultation=c, expert=other)
                    report.add("assignments")
        if state in (Status.ANSWERED, Status.AWAITING, Status.RESOLVED, Status.CLOSED):
            # Most first replies came in time; a few late ones keep their flag.
            late = rng.random() < 0.15
            hours = category.first_reply_hours * (
                rng.uniform(1.1, 1.6) if late else rng.uniform(0.1, 0.9)
            )
            replied = asked + timedelta(hours=hours)
            _message(
                c,
                side=Message.Side.EXPERT,
                author=expert.user,
                name=expert.name,
                body=answer,
                at=replied,
            )
            fields.update(first_replied_at=replied, first_reply_overdue=late)
            if state != Status.ANSWERED:
                asked_again = replied + timedelta(hours=rng.uniform(2, 20))
                _message(
                    c,
                    side=Message.Side.COMPANY,
                    author=askers.get(company.pk),
                    name=asker_name,
                    body=follow_up,
                    at=asked_again,
                )
                if state in (Status.RESOLVED, Status.CLOSED):
                    again = asked_again + timedelta(hours=rng.uniform(1, 12))
                    _message(
                        c,
                        side=Message.Side.EXPERT,
                        author=expert.user,
                        name=expert.name,
                        body=second,
                        at=again,
                    )
                    resolved = again + timedelta(hours=rng.uniform(1, 24))
                    fields.update(resolved_at=resolved)
                    if state == Status.CLOSED:
                        rating = rng.choices([5, 4, 3, 2], weights=[6, 4, 1, 0.3])[0]
                        fields.update(
                            closed_at=resolved,
                            rating=rating,
                            rating_comment=rng.choice(RATING_COMMENTS),
                        )
            report.add("messages")
        Consultation.all_tenants.filter(pk=c.pk).update(**fields)
        made.append(c)
        report.add(f"consultations_{state}")
    report.add("consultations", len(made))
    # The tick as the scheduler would have run it: overdue flags (no email in the demo).
    flagged = sla.sla_flag(now, notify=False)
    report.add("first_reply_overdue", flagged["first_reply_overdue"])
    report.add("resolution_overdue", flagged["resolution_overdue"])
    _faq(made, report)
    _sessions(rng, now, association, experts, askers, companies, report)
    return report


def _faq(made: list[Consultation], report: ConsultationsReport) -> None:
    """One closed consultation's answer published on the FAQ page (when the public site
    has one), one resolved consultation's draft waiting for the desk."""
    closed = [c for c in made if c.status == Status.CLOSED]
    resolved = [c for c in made if c.status == Status.RESOLVED]
    for c, publish in (
        (closed[0] if closed else None, True),
        (resolved[0] if resolved else None, False),
    ):
        if c is None:
            continue
        c = Consultation.all_tenants.select_related("company", "asked_by").get(pk=c.pk)
        question, answer = faq.draft_text(c)
        draft = faq.faq_draft_create(actor=None, consultation=c, question=question, answer=answer)
        report.add("faq_drafts")
        if publish and FaqPage.objects.live().exists():
            faq.faq_publish(actor=None, draft=draft)
            report.add("faq_published")
    assert FaqDraft.all_tenants.count() == report.counts.get("faq_drafts", 0)


def _sessions(rng, now, association, experts, askers, companies, report) -> None:
    held = Session.all_tenants.create(
        association=association,
        expert=experts[0],
        topic="疫情期间租金减免与物业费收缴",
        description="解读租金减免政策，解答物业费收缴中的常见纠纷。",
        starts_at=now - timedelta(days=6, hours=rng.randint(0, 5)),
        duration_minutes=90,
        meeting_link="https://meeting.tencent.com/dm/firstline-rent",
        capacity=200,
    )
    coming = Session.all_tenants.create(
        association=association,
        expert=experts[2],
        topic="复工复产税费优惠政策解读",
        description="增值税减免、捐赠扣除和社保缓缴，会前可提交问题。",
        starts_at=now + timedelta(days=3, hours=rng.randint(0, 5)),
        duration_minutes=60,
        meeting_link="https://meeting.tencent.com/dm/firstline-tax",
        capacity=150,
    )
    questions = ("捐赠物资如何取得票据？", "社保缓缴需要申请吗？", "", "免税收入怎么核算？")
    for session, attended in ((held, True), (coming, None)):
        for index, company in enumerate(companies):
            user = askers.get(company.pk)
            if user is None:
                continue
            Registration.all_tenants.create(
                company=company,
                session=session,
                user=user,
                name=user.display_name or user.username,
                question=questions[index % len(questions)],
                attended=(rng.random() < 0.8) if attended else None,
                attendance_recorded_at=session.starts_at + timedelta(hours=2) if attended else None,
            )
            report.add("registrations")
    report.add("sessions", 2)
