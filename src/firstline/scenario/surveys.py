"""Demo surveys (issue #19): the association research group's two questionnaires
of 2020, written as XLSForm workbooks and uploaded through the surveys service
(pyxform reads them), opened, and answered in bulk as the article counts them:
4,803 company questionnaires and 36,450 owner questionnaires.

Answers are drawn so that they hang together (skip logic respected: a question
whose condition fails has no answer; costs grow with staff; smaller companies
report worse cash flow) and are inserted with bulk_create in chunks. The company
survey's respondents are the world's member companies first (one response each,
the unique constraint's rule), the rest the article's national respondents outside
this platform (no company row, the district of the paper questionnaire). Owners'
responses are spread over the world's sites, one per phone (a keyed HMAC of a
generated phone number).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from firstline.core import exporting
from firstline.core.personal.crypto import keyring
from firstline.estates.models import Site
from firstline.orgs.models import Association, Company, Membership
from firstline.surveys.models import Response, Survey
from firstline.surveys.services import surveys

COMPANY_RESPONSES = 4_803
OWNER_RESPONSES = 36_450
CHUNK = 5_000

H = [
    "type",
    "name",
    "label::中文 (zh)",
    "label::English (en)",
    "required",
    "relevant",
    "constraint",
    "calculation",
]

COMPANY_SURVEY = [
    H,
    ["begin_group", "basics", "一、企业基本情况", "1. The company"],
    ["select_one ownership", "ownership", "企业性质", "Ownership", "yes"],
    ["integer", "staff", "在岗员工（人）", "Staff (people)", "yes", "", ". > 0 and . < 200000"],
    ["integer", "sites", "在管项目（个）", "Sites managed (count)", "yes", "", ". >= 0"],
    ["decimal", "area", "在管面积（万平方米）", "Floor area (10k m²)", "", "", ". >= 0"],
    ["select_multiple site_types", "site_types", "在管项目类型", "Types of sites", "yes"],
    ["end_group", "basics"],
    ["begin_group", "inputs", "二、疫情防控投入", "2. Epidemic control"],
    [
        "integer",
        "on_duty",
        "春节期间坚守岗位人数（人）",
        "Staff on duty over the holiday (people)",
        "yes",
        "",
        ". >= 0",
    ],
    [
        "decimal",
        "extra_cost",
        "新增防疫成本（万元）",
        "Extra control cost (10k yuan)",
        "yes",
        "",
        ". >= 0",
    ],
    ["calculate", "cost_per_staff", "", "", "", "", "", "${extra_cost} * 10000 div ${staff}"],
    ["select_one yn", "ppe_short", "防护物资是否短缺", "Short of protective supplies?", "yes"],
    [
        "select_multiple ppe",
        "ppe_items",
        "短缺的物资",
        "Supplies short",
        "yes",
        "${ppe_short} = 'yes'",
    ],
    ["select_one yn", "infected", "员工是否有确诊或疑似", "Any staff infected?", "yes"],
    [
        "integer",
        "infected_count",
        "确诊或疑似员工（人）",
        "Staff infected (people)",
        "yes",
        "${infected} = 'yes'",
        ". > 0",
    ],
    ["end_group", "inputs"],
    ["begin_group", "impact", "三、经营影响", "3. Impact on business"],
    ["select_one revenue", "revenue", "一季度营业收入同比", "Q1 revenue year on year", "yes"],
    ["select_one collection", "fees", "物业费收缴情况", "Fee collection", "yes"],
    ["select_one months", "cash", "现金流可维持", "Cash lasts", "yes"],
    ["select_one yn", "layoffs", "是否减员", "Any lay-offs?", "yes"],
    [
        "integer",
        "layoff_count",
        "减员人数（人）",
        "Laid off (people)",
        "yes",
        "${layoffs} = 'yes'",
        ". > 0",
    ],
    ["select_one resume", "resume", "复工复产情况", "Back to work", "yes"],
    ["end_group", "impact"],
    ["begin_group", "asks", "四、政策诉求", "4. Policy asks"],
    ["select_multiple policy", "policy", "希望获得的政策支持", "Policy support wanted", "yes"],
    [
        "select_one policy",
        "top_policy",
        "其中最迫切的一项",
        "The most urgent of them",
        "yes",
        "count-selected(${policy}) > 1",
    ],
    ["select_one yn", "got_support", "是否已获得政府支持", "Any government support yet?", "yes"],
    ["text", "support_kind", "已获得的支持", "Support received", "", "${got_support} = 'yes'"],
    [
        "select_one score",
        "rating",
        "对协会防疫工作的评价",
        "Rating of the association's work",
        "yes",
    ],
    ["text", "proposal", "其他意见和建议", "Other proposals"],
    ["end_group", "asks"],
]

COMPANY_CHOICES = [
    ["list_name", "name", "label::中文 (zh)", "label::English (en)"],
    *[
        ["ownership", *c]
        for c in (
            ("state", "国有", "State-owned"),
            ("private", "民营", "Private"),
            ("foreign", "外资", "Foreign"),
            ("mixed", "混合所有制", "Mixed"),
        )
    ],
    *[
        ["site_types", *c]
        for c in (
            ("residential", "住宅小区", "Residential"),
            ("office", "写字楼", "Office"),
            ("industrial", "产业园区", "Industrial park"),
            ("hospital", "医院", "Hospital"),
            ("campus", "学校", "Campus"),
            ("commercial", "商业综合体", "Commercial"),
        )
    ],
    *[["yn", *c] for c in (("yes", "是", "Yes"), ("no", "否", "No"))],
    *[
        ["ppe", *c]
        for c in (
            ("masks", "口罩", "Masks"),
            ("alcohol", "酒精", "Alcohol"),
            ("disinfectant", "消毒液", "Disinfectant"),
            ("thermometers", "测温枪", "Thermometers"),
            ("suits", "防护服", "Protective suits"),
        )
    ],
    *[
        ["revenue", *c]
        for c in (
            ("up", "增长", "Up"),
            ("flat", "基本持平", "Flat"),
            ("down10", "下降 10% 以内", "Down < 10%"),
            ("down30", "下降 10%–30%", "Down 10–30%"),
            ("down50", "下降 30% 以上", "Down > 30%"),
        )
    ],
    *[
        ["collection", *c]
        for c in (
            ("normal", "正常", "Normal"),
            ("delayed", "有所延迟", "Delayed"),
            ("stalled", "基本停滞", "Stalled"),
        )
    ],
    *[
        ["months", *c]
        for c in (
            ("lt1", "不足 1 个月", "< 1 month"),
            ("m1_3", "1–3 个月", "1–3 months"),
            ("m3_6", "3–6 个月", "3–6 months"),
            ("gt6", "6 个月以上", "> 6 months"),
        )
    ],
    *[
        ["resume", *c]
        for c in (
            ("full", "已全面复工", "Fully back"),
            ("partly", "部分复工", "Partly"),
            ("not", "尚未复工", "Not yet"),
        )
    ],
    *[
        ["policy", *c]
        for c in (
            ("tax", "减免税费", "Tax relief"),
            ("insurance", "减免社保", "Social insurance relief"),
            ("subsidy", "防疫补贴", "Control subsidy"),
            ("loan", "贴息贷款", "Subsidised loans"),
            ("rent", "减免租金", "Rent relief"),
            ("fee", "物业费调价", "Fee adjustment"),
        )
    ],
    *[["score", str(n), str(n), str(n)] for n in range(1, 6)],
]

OWNER_SURVEY = [
    H,
    ["begin_group", "service", "一、疫情期间的物业服务", "1. Property services in the epidemic"],
    [
        "select_one satisfied",
        "satisfied",
        "您对小区物业防疫工作满意吗？",
        "Satisfied with the control work?",
        "yes",
    ],
    ["select_multiple services", "services", "您用过哪些服务", "Services you used", "yes"],
    [
        "select_one yn",
        "delivery_ok",
        "代收代送是否及时",
        "Deliveries on time?",
        "yes",
        "selected(${services}, 'delivery')",
    ],
    [
        "select_one yn",
        "fee_willing",
        "是否愿意按时缴纳物业费",
        "Will you pay the fee on time?",
        "yes",
    ],
    ["end_group", "service"],
    ["begin_group", "household", "二、家庭情况", "2. Your household"],
    ["select_one age", "age", "年龄", "Age", "yes"],
    ["integer", "members", "家庭人口（人）", "Household (people)", "yes", "", ". > 0 and . < 20"],
    ["text", "improve", "您希望物业改进的地方", "What should improve?"],
    ["end_group", "household"],
]

OWNER_CHOICES = [
    ["list_name", "name", "label::中文 (zh)", "label::English (en)"],
    *[
        ["satisfied", *c]
        for c in (
            ("very", "非常满意", "Very"),
            ("yes", "满意", "Yes"),
            ("fair", "一般", "Fair"),
            ("no", "不满意", "No"),
        )
    ],
    *[
        ["services", *c]
        for c in (
            ("gate", "出入管理", "Gate control"),
            ("disinfect", "公共区域消毒", "Disinfection"),
            ("delivery", "代收代送", "Deliveries"),
            ("purchase", "团购代购", "Group buying"),
            ("elderly", "关爱独居老人", "Elderly care"),
            ("info", "防疫信息发布", "Information"),
        )
    ],
    *[["yn", *c] for c in (("yes", "是", "Yes"), ("no", "否", "No"))],
    *[
        ["age", *c]
        for c in (
            ("lt30", "30 岁以下", "Under 30"),
            ("a30_45", "30–45 岁", "30–45"),
            ("a45_60", "45–60 岁", "45–60"),
            ("gt60", "60 岁以上", "Over 60"),
        )
    ],
]

SETTINGS = {
    "company": [
        ["form_title", "form_id", "version"],
        ["物业服务企业疫情影响调查问卷", "cpmi_company_2020", "1"],
    ],
    "owner": [
        ["form_title", "form_id", "version"],
        ["业主对物业防疫服务评价问卷", "cpmi_owner_2020", "1"],
    ],
}

PROPOSALS = (
    "建议将物业服务企业纳入疫情防控一线单位，给予同等补贴。",
    "建议阶段性减免增值税和社保缴费。",
    "希望政府协调防护物资优先供应物业一线。",
    "建议明确物业企业在社区防控中的职责和边界。",
    "希望延期缴纳税款，缓解现金流压力。",
    "",
    "",
)
IMPROVE = ("", "", "", "快递代收再快一些", "消毒记录能公示", "希望多组织团购", "门岗排队时间太长")


def form_workbook(rows: list, choices: list, settings: list) -> bytes:
    book = exporting.workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in rows:
        exporting.xlsx_append(sheet, row)
    for name, data in (("choices", choices), ("settings", settings)):
        other = book.create_sheet(name)
        for row in data:
            exporting.xlsx_append(other, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def company_workbook() -> bytes:
    return form_workbook(COMPANY_SURVEY, COMPANY_CHOICES, SETTINGS["company"])


def owner_workbook() -> bytes:
    return form_workbook(OWNER_SURVEY, OWNER_CHOICES, SETTINGS["owner"])


def _pick(rng: random.Random, weighted: dict):
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def company_answers(rng: random.Random) -> dict:
    """One company's plausible answers (skip logic respected)."""
    small = rng.random() < 0.6
    staff = rng.randint(20, 300) if small else rng.randint(300, 20000)
    a: dict = {
        "ownership": _pick(rng, {"state": 2, "private": 6, "foreign": 0.5, "mixed": 1.5}),
        "staff": staff,
        "sites": max(1, staff // rng.randint(25, 60)),
        "area": round(staff * rng.uniform(0.3, 1.2), 1),
        "site_types": ["residential"]
        + [
            t
            for t in ("office", "industrial", "hospital", "campus", "commercial")
            if rng.random() < 0.25
        ],
        "on_duty": int(staff * rng.uniform(0.5, 0.95)),
        "extra_cost": round(staff * rng.uniform(0.02, 0.12), 1),
    }
    per_staff = a["extra_cost"] * 10000 / staff  # as the form's calculate works it out
    a["cost_per_staff"] = int(per_staff) if per_staff.is_integer() else round(per_staff, 6)
    a["ppe_short"] = _pick(rng, {"yes": 7, "no": 3})
    if a["ppe_short"] == "yes":
        a["ppe_items"] = [
            p
            for p in ("masks", "alcohol", "disinfectant", "thermometers", "suits")
            if rng.random() < 0.55
        ] or ["masks"]
    a["infected"] = _pick(rng, {"yes": 1, "no": 19})
    if a["infected"] == "yes":
        a["infected_count"] = rng.randint(1, 5)
    a["revenue"] = _pick(
        rng, {"up": 0.3, "flat": 1, "down10": 3, "down30": 4, "down50": 2 if small else 1}
    )
    a["fees"] = _pick(rng, {"normal": 2, "delayed": 6, "stalled": 2})
    a["cash"] = _pick(
        rng, {"lt1": 2 if small else 0.5, "m1_3": 4, "m3_6": 2, "gt6": 1 if small else 3}
    )
    a["layoffs"] = _pick(rng, {"yes": 2, "no": 8})
    if a["layoffs"] == "yes":
        a["layoff_count"] = max(1, int(staff * rng.uniform(0.01, 0.1)))
    a["resume"] = _pick(rng, {"full": 3, "partly": 6, "not": 1})
    policy = [
        p
        for p, w in (
            ("tax", 0.8),
            ("insurance", 0.7),
            ("subsidy", 0.75),
            ("loan", 0.3),
            ("rent", 0.2),
            ("fee", 0.35),
        )
        if rng.random() < w
    ] or ["tax"]
    a["policy"] = policy
    if len(policy) > 1:
        a["top_policy"] = rng.choice(policy)
    a["got_support"] = _pick(rng, {"yes": 3, "no": 7})
    if a["got_support"] == "yes" and rng.random() < 0.5:
        a["support_kind"] = rng.choice(("社保减免", "防疫物资", "稳岗补贴", "贷款贴息"))
    a["rating"] = _pick(rng, {"5": 5, "4": 3, "3": 1.5, "2": 0.3, "1": 0.2})
    if proposal := rng.choice(PROPOSALS):
        a["proposal"] = proposal
    return a


def owner_answers(rng: random.Random) -> dict:
    services = [
        s
        for s, w in (
            ("gate", 0.9),
            ("disinfect", 0.6),
            ("delivery", 0.7),
            ("purchase", 0.5),
            ("elderly", 0.1),
            ("info", 0.6),
        )
        if rng.random() < w
    ] or ["gate"]
    a: dict = {
        "satisfied": _pick(rng, {"very": 4, "yes": 4, "fair": 1.5, "no": 0.5}),
        "services": services,
        "fee_willing": _pick(rng, {"yes": 9, "no": 1}),
        "age": _pick(rng, {"lt30": 2, "a30_45": 4, "a45_60": 3, "gt60": 2}),
        "members": rng.choices((1, 2, 3, 4, 5, 6), weights=(1, 3, 4, 3, 1.5, 0.5))[0],
    }
    if "delivery" in services:
        a["delivery_ok"] = _pick(rng, {"yes": 8, "no": 2})
    if improve := rng.choice(IMPROVE):
        a["improve"] = improve
    return a


def size_band(site_count: int) -> str:
    if site_count < 5:
        return Response.SizeBand.SMALL
    return Response.SizeBand.MEDIUM if site_count < 20 else Response.SizeBand.LARGE


@dataclass
class SurveysReport:
    counts: dict[str, int] = field(default_factory=dict)

    def figures(self) -> dict[str, int]:
        return dict(self.counts)


def _phone_digests(rng: random.Random, count: int) -> list[str]:
    """Distinct generated phones as the keyed HMAC the service stores."""
    ring = keyring()
    seen: set[str] = set()
    out = []
    while len(out) < count:
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        if phone in seen:
            continue
        seen.add(phone)
        out.append(ring.digest(phone, "phone"))
    return out


def build_surveys(
    *,
    rng: random.Random,
    now: datetime,
    sites: list[Site],
    company_responses: int = COMPANY_RESPONSES,
    owner_responses: int = OWNER_RESPONSES,
) -> SurveysReport:
    report = SurveysReport()
    association = Association.objects.order_by("id").first()
    if association is None:
        return report
    company_survey = surveys.survey_create(
        actor=None,
        association_id=association.pk,
        data=company_workbook(),
        filename="cpmi_company_2020.xlsx",
        audience=Survey.Audience.COMPANIES,
        opens_at=now - timedelta(days=20),
        closes_at=now + timedelta(days=10),
    )
    owner_survey = surveys.survey_create(
        actor=None,
        association_id=association.pk,
        data=owner_workbook(),
        filename="cpmi_owner_2020.xlsx",
        audience=Survey.Audience.OWNERS,
        opens_at=now - timedelta(days=20),
        closes_at=now + timedelta(days=10),
    )
    for survey in (company_survey, owner_survey):
        surveys.survey_open(actor=None, survey=survey)

    members = list(
        Company.objects.filter(
            pk__in=Membership.objects.filter(association=association).values("company_id")
        )
        .select_related("division")
        .order_by("id")
    )
    site_counts: dict[int, int] = {}
    for site in Site.all_tenants.values_list("company_id", flat=True):
        site_counts[site] = site_counts.get(site, 0) + 1
    districts = sorted({s.community.code[:6] for s in sites}) or ["420102"]
    # Answered by the demo company admins' own companies? Leave the first company
    # unanswered, so the demo login has a survey to fill in.
    answering = members[1:]
    rows = []
    for n in range(company_responses):
        company = answering[n] if n < len(answering) else None
        answers = company_answers(rng)
        rows.append(
            Response(
                association_id=association.pk,
                survey=company_survey,
                company=company,
                answers=answers,
                district_code=company.division.code[:6] if company else rng.choice(districts),
                size_band=size_band(
                    site_counts.get(company.pk, 0) if company else answers["sites"]
                ),
                submitted_at=now - timedelta(minutes=rng.randint(0, 20 * 24 * 60)),
            )
        )
    for start in range(0, len(rows), CHUNK):
        Response.all_tenants.bulk_create(rows[start : start + CHUNK])
    report.counts["company_responses"] = len(rows)

    digests = _phone_digests(rng, owner_responses)
    weights = [3 if s.site_type == "residential" else 1 for s in sites] or [1]
    chosen = (
        rng.choices(sites, weights=weights, k=owner_responses)
        if sites
        else [None] * owner_responses
    )
    rows = []
    for digest, site in zip(digests, chosen, strict=True):
        rows.append(
            Response(
                association_id=association.pk,
                survey=owner_survey,
                company_id=site.company_id if site else None,
                site=site,
                phone_digest=digest,
                answers=owner_answers(rng),
                district_code=site.community.code[:6] if site else "",
                site_type=site.site_type if site else "",
                submitted_at=now - timedelta(minutes=rng.randint(0, 20 * 24 * 60)),
            )
        )
        if len(rows) == CHUNK:
            Response.all_tenants.bulk_create(rows)
            rows = []
    if rows:
        Response.all_tenants.bulk_create(rows)
    report.counts["owner_responses"] = owner_responses
    report.counts["surveys"] = 2
    return report
