"""Demo content of the association's public site (issue #18), written for the demo:

- the operation guides for all seven site types, each with its chapters and
  sections, lobby-poster points, a PDF of its whole text (a Wagtail document) and
  two published versions: 1.0 (February 2020) and 2.0 (March 2020) with its change note;
- twenty news items (January–April 2020) about the association's work: the call of
  26 January, supplies to Wuhan, volunteers, the guides, the job fair, produce;
- two topic pages linking related pages, two calls to action (倡议书);
- the policy library: thirty laws, notices and support measures by issuing body and
  region (geo divisions), with dates and validity, some expired;
- an FAQ of twelve questions, each linked to the policies it rests on.

Everything is published through Wagtail's own API (`save_revision().publish()`), so
revisions and the publish log exist, then dated back to 2020. Revisions carry no user,
so `reset_world` (which deletes what points at ordinary users) leaves the site as it
is, and running the step again adds only what is missing (pages are found by slug).

    report = build_publishing(rng=random.Random(seed))
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.html import escape
from wagtail.documents import get_document_model
from wagtail.models import Page, PageLogEntry, Revision

from firstline.geo.models import Division
from firstline.publishing.models import (
    SITE_TYPES,
    CallToActionPage,
    FaqItem,
    FaqPage,
    GuideChapterPage,
    GuidePage,
    NewsIndexPage,
    NewsPage,
    PolicyIndexPage,
    PolicyPage,
    TopicLink,
    TopicPage,
)
from firstline.publishing.services.pdf import guide_document_pdf
from firstline.publishing.services.site import site_ensure

ASSOCIATION = "中国物业管理协会"
V1_AT = datetime(2020, 2, 6, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
V2_AT = datetime(2020, 3, 12, 2, 0, tzinfo=UTC)
# The article's "~600,000 views and downloads" of the guides and the site (SCENARIO.md).
READING_VIEWS = 540_000
READING_DOWNLOADS = 60_000


@dataclass
class PublishingReport:
    counts: dict[str, int] = field(default_factory=dict)
    pages: list[int] = field(default_factory=list)  # every page of the demo content
    documents: list[int] = field(default_factory=list)

    def figures(self) -> dict[str, int]:
        return dict(self.counts)


def _p(*paragraphs: str) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def _ul(*items: str) -> str:
    return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"


# --- the guides -------------------------------------------------------------------------
# Shared chapters are phrased for every site type; only the residential guide's lift
# section speaks of lifts (search tests rely on it).


def _organisation(place: str) -> tuple[str, list[tuple[str, str]]]:
    return (
        "组织与职责",
        [
            (
                "成立防控工作小组",
                _p(
                    f"{place}项目负责人任组长，秩序、保洁、工程、客服各设一名联络人，"
                    "明确每日的分工和交接。",
                    "工作小组接受街道、社区或主管部门统一指挥，重要情况两小时内报告。",
                ),
            ),
            (
                "信息报送",
                _ul(
                    "每日16时前在平台填报项目日报：出入人数、体温异常、隔离观察、消毒完成情况；",
                    "发现发热或疑似人员，立即报告并做好记录，不得迟报、漏报；",
                    "对外口径统一由项目负责人发布，不传播未经核实的消息。",
                ),
            ),
        ],
    )


def _protection() -> tuple[str, list[tuple[str, str]]]:
    return (
        "员工防护与应急处置",
        [
            (
                "员工健康管理",
                _p(
                    "员工上岗前测量体温、登记健康状况，体温超过37.3℃或有咳嗽等症状的不得上岗。",
                    "按岗位配发口罩、手套；清洁消毒岗位另配防护服或隔离衣、护目镜。",
                ),
            ),
            (
                "发现疑似病例时",
                _ul(
                    "立即报告社区和属地疾控部门，配合转运；",
                    "对其活动过的公共区域做终末消毒，消毒前封闭现场；",
                    "登记密切接触的员工，按要求居家或集中观察。",
                ),
            ),
            (
                "废弃口罩处置",
                _p(
                    "设置废弃口罩专用收集桶，每日喷洒含氯消毒剂后密封清运，收集桶周边每日消毒两次。"
                ),
            ),
        ],
    )


GUIDES: dict[str, dict] = {
    "residential": {
        "title": "住宅小区疫情防控操作指引",
        "summary": "封闭管理、出入登记、公共区域消毒、居家隔离户服务，住宅小区物业服务人员照此执行。",
        "place": "小区",
        "points": (
            "只开一个出入口，进出测温、查验通行证",
            "外来人员、车辆一律登记，快递外卖不进小区",
            "电梯按钮、门把手每天至少消毒四次",
            "垃圾收集点每天消毒两次，废弃口罩专桶投放",
            "发现发热人员立即报告社区",
        ),
        "v2_note": "新增“电梯消毒”一节；居家隔离户的生活垃圾改为专人上门收取。",
        "chapters": [
            (
                "封闭管理与出入口",
                [
                    (
                        "出入口设置",
                        _p(
                            "小区只保留一个主出入口，其余出入口临时封闭并张贴告示。",
                            "出入口设置测温点和登记台，24小时有人值守。",
                        ),
                    ),
                    (
                        "人员与车辆进出",
                        _ul(
                            "居民凭通行证进出，每次进入测量体温；",
                            "外来人员原则上不进入，确需进入的核实身份、登记行程；",
                            "快递、外卖在出入口设置的收发点交接，不入户。",
                        ),
                    ),
                ],
            ),
            (
                "公共区域清洁消毒",
                [
                    (
                        "电梯消毒",
                        _p(
                            "电梯轿厢按钮、扶手和轿厢壁每天至少消毒四次，"
                            "使用500 mg/L含氯消毒剂擦拭，作用30分钟后清水擦净。",
                            "电梯内放置抽纸供按键使用，轿厢每日通风；"
                            "有条件的项目可在轿厢内加装紫外线消毒灯，在无人时段运行。",
                        ),
                    ),
                    (
                        "楼道、大堂与门把手",
                        _p(
                            "单元门把手、楼梯扶手、信报箱每天消毒不少于两次，"
                            "大堂地面每天湿式清扫后用含氯消毒剂拖拭。"
                        ),
                    ),
                    (
                        "垃圾收集点",
                        _p(
                            "垃圾桶每日清运，收集点和垃圾桶内外每天喷洒1000 mg/L含氯消毒剂两次，"
                            "消毒后记录时间和责任人。"
                        ),
                    ),
                ],
            ),
            (
                "居家隔离户服务",
                [
                    (
                        "生活保障",
                        _p(
                            "为居家隔离户建立联系卡，代购生活物资和药品，放在门口后电话告知，"
                            "避免当面接触。"
                        ),
                    ),
                    (
                        "生活垃圾收取",
                        _p(
                            "隔离户的生活垃圾由专人每日上门收取，"
                            "收取前后对门口地面消毒，垃圾袋喷洒消毒剂后双层封扎。"
                        ),
                    ),
                ],
            ),
        ],
    },
    "office": {
        "title": "写字楼疫情防控操作指引",
        "summary": "复工后的写字楼：入楼登记、分时错峰、空调通风和公共区域消毒。",
        "place": "写字楼",
        "points": (
            "入楼测温、出示健康码，访客提前预约",
            "错峰上下班，排队保持一米以上距离",
            "空调关闭回风、全新风运行",
            "会议室、卫生间每天多次消毒",
        ),
        "v2_note": "复工阶段补充租户返岗人员登记和分时错峰要求。",
        "chapters": [
            (
                "入楼管理",
                [
                    (
                        "员工与访客",
                        _ul(
                            "租户员工凭登记信息入楼，每次测温；",
                            "访客由租户提前预约，物业核验后进入；",
                            "大堂设置一米间隔的排队标识。",
                        ),
                    ),
                    (
                        "租户返岗登记",
                        _p(
                            "租户提交复工申请和返岗人员名单，物业逐一核对行程和健康申报，"
                            "外地返回人员按属地要求完成观察后方可入楼。"
                        ),
                    ),
                ],
            ),
            (
                "空调通风",
                [
                    (
                        "运行方式",
                        _p(
                            "集中空调关闭回风阀，按全新风方式运行；无法全新风的系统暂停使用，"
                            "开窗通风。"
                        ),
                    ),
                    (
                        "清洗消毒",
                        _p("新风口、过滤网每周清洗消毒一次，卫生间排风机保持运行。"),
                    ),
                ],
            ),
            (
                "公共区域消毒",
                [
                    (
                        "高频接触部位",
                        _p("闸机、门把手、公共卫生间每天消毒不少于三次，记录在消毒台账上。"),
                    ),
                    (
                        "会议室与茶水间",
                        _p("会议室每次使用后开窗通风并擦拭桌面；茶水间暂停提供公用杯具。"),
                    ),
                ],
            ),
        ],
    },
    "industrial": {
        "title": "产业园区疫情防控操作指引",
        "summary": "园区企业复工复产期间的出入管理、员工宿舍和食堂、物流装卸的防控要求。",
        "place": "园区",
        "points": (
            "园区出入口测温登记，货车司机不下车",
            "食堂错峰就餐、分散就座",
            "员工宿舍每天通风消毒",
            "装卸区作业人员戴口罩手套",
        ),
        "v2_note": "新增物流装卸区作业要求，食堂改为分餐制。",
        "chapters": [
            (
                "园区出入",
                [
                    (
                        "人员出入",
                        _p("园区实行一个人员出入口，员工刷卡加测温进入，外来人员登记事由和行程。"),
                    ),
                    (
                        "物流装卸",
                        _p(
                            "外来货车司机原则上不下车，装卸由园区人员完成；"
                            "装卸区每天消毒两次，作业人员戴口罩和手套。"
                        ),
                    ),
                ],
            ),
            (
                "食堂与宿舍",
                [
                    (
                        "食堂",
                        _p("分时段错峰就餐，实行分餐制，餐桌同向就座，餐后桌面消毒。"),
                    ),
                    (
                        "员工宿舍",
                        _p("宿舍每天开窗通风不少于三次，公共盥洗间每天消毒两次，限制串门聚集。"),
                    ),
                ],
            ),
            (
                "厂区公共区域",
                [
                    (
                        "消毒频次",
                        _p("厂房出入口、卫生间、更衣室每天消毒两次，班组交接时擦拭公用工具。"),
                    ),
                ],
            ),
        ],
    },
    "campus": {
        "title": "学校疫情防控操作指引",
        "summary": "开学前后校园物业的准备：校门管理、教室和宿舍、食堂、隔离观察室。",
        "place": "校园",
        "points": (
            "校门实行封闭管理，师生凭证测温进校",
            "教室、宿舍每天通风消毒",
            "食堂错峰就餐",
            "设置临时隔离观察室",
        ),
        "v2_note": "补充开学前校园全面清洁消毒和临时隔离观察室的设置要求。",
        "chapters": [
            (
                "开学前准备",
                [
                    (
                        "全面清洁消毒",
                        _p("开学前对教室、宿舍、食堂、图书馆做一次全面清洁和预防性消毒，并通风。"),
                    ),
                    (
                        "临时隔离观察室",
                        _p(
                            "在相对独立、通风良好的房间设置临时隔离观察室，配备体温计、口罩和消毒用品。"
                        ),
                    ),
                ],
            ),
            (
                "校门与校园",
                [
                    (
                        "校门管理",
                        _p("师生凭校园卡测温进校，家长和校外人员不进校园，快递在校门外集中存放。"),
                    ),
                    (
                        "教室与宿舍",
                        _p(
                            "课间开窗通风，课桌椅、门把手每天消毒一次；宿舍每天通风并消毒公共盥洗间。"
                        ),
                    ),
                ],
            ),
            (
                "食堂",
                [
                    (
                        "就餐",
                        _p("按年级错峰就餐，排队间隔一米，餐后对餐桌和地面消毒。"),
                    ),
                ],
            ),
        ],
    },
    "hospital": {
        "title": "医院后勤物业疫情防控操作指引",
        "summary": "医院物业服务人员的分区作业、医疗废物收运和自身防护。",
        "place": "医院",
        "points": (
            "严格区分清洁区、潜在污染区、污染区",
            "医疗废物双层包装、专人专线收运",
            "进入发热门诊按二级防护穿戴",
            "保洁工具分区使用、颜色区分",
        ),
        "v2_note": "细化发热门诊保洁人员的二级防护穿脱顺序，医疗废物交接增加双人签字。",
        "chapters": [
            (
                "分区作业",
                [
                    (
                        "三区划分",
                        _p(
                            "按医院感控部门划定的清洁区、潜在污染区、污染区安排保洁人员，人员不跨区作业。"
                        ),
                    ),
                    (
                        "保洁工具",
                        _p("抹布、拖把按颜色分区专用，用后用2000 mg/L含氯消毒剂浸泡30分钟。"),
                    ),
                ],
            ),
            (
                "医疗废物",
                [
                    (
                        "收集与运送",
                        _ul(
                            "医疗废物双层黄色垃圾袋包装，鹅颈式封扎；",
                            "按规定路线和时间专人运送，运送车辆每次消毒；",
                            "与暂存点交接时双人核对、签字。",
                        ),
                    ),
                ],
            ),
            (
                "人员防护",
                [
                    (
                        "发热门诊岗位",
                        _p(
                            "进入发热门诊和隔离病区按二级防护穿戴：工作帽、医用防护口罩、护目镜、"
                            "防护服、手套、鞋套；脱卸时按顺序逐件进行，每步做手卫生。"
                        ),
                    ),
                    (
                        "培训",
                        _p("上岗前由医院感控部门培训并考核穿脱防护用品，不合格不得上岗。"),
                    ),
                ],
            ),
        ],
    },
    "commercial": {
        "title": "商业综合体疫情防控操作指引",
        "summary": "商场、购物中心恢复营业后的客流控制、公共区域消毒和商户管理。",
        "place": "商场",
        "points": (
            "入口测温、佩戴口罩方可进入",
            "控制客流，高峰时段限流",
            "扶梯扶手、购物车每天多次消毒",
            "商户员工每天健康登记",
        ),
        "v2_note": "恢复营业阶段：增加限流标准和商户员工健康登记。",
        "chapters": [
            (
                "客流管理",
                [
                    (
                        "入口",
                        _p("只开放部分入口，顾客测温、佩戴口罩后进入；入口地面设一米间隔线。"),
                    ),
                    (
                        "限流",
                        _p("按建筑面积核定同时在场人数上限，达到上限时在入口暂停放行并广播提示。"),
                    ),
                ],
            ),
            (
                "公共区域消毒",
                [
                    (
                        "高频接触部位",
                        _p(
                            "扶梯扶手、购物车把手、公共座椅每两小时消毒一次，卫生间每天消毒不少于四次。"
                        ),
                    ),
                    (
                        "空调",
                        _p("关闭回风、加大新风，营业前和结束后各通风一小时。"),
                    ),
                ],
            ),
            (
                "商户管理",
                [
                    (
                        "商户员工",
                        _p(
                            "商户员工每天上岗前在物业登记体温和健康状况，餐饮商户暂停堂食或间隔就座。"
                        ),
                    ),
                ],
            ),
        ],
    },
    "transport": {
        "title": "交通枢纽疫情防控操作指引",
        "summary": "客运站、地铁站、公交枢纽物业人员的测温查验、候车区消毒和人员防护。",
        "place": "站区",
        "points": (
            "进站测温，体温异常者到留观点复测",
            "候车区隔座就座",
            "安检筐、扶手、售票机每两小时消毒",
            "一线员工全程佩戴口罩手套",
        ),
        "v2_note": "新增留观点设置和进站测温异常人员的处置流程。",
        "chapters": [
            (
                "进站管理",
                [
                    (
                        "测温查验",
                        _p("进站口设置测温通道，体温异常者引导至留观点复测，并报告站区卫生人员。"),
                    ),
                    (
                        "留观点",
                        _p(
                            "在进站口附近设置相对独立的留观点，配备口罩、体温计和消毒用品，专人值守。"
                        ),
                    ),
                ],
            ),
            (
                "候车区与设施消毒",
                [
                    (
                        "候车区",
                        _p("候车座椅隔座就座，地面每天湿式清扫后消毒两次。"),
                    ),
                    (
                        "设施",
                        _p(
                            "安检筐、扶手、自助售票机每两小时擦拭消毒一次，卫生间每天消毒不少于四次。"
                        ),
                    ),
                ],
            ),
            (
                "客流与秩序",
                [
                    (
                        "排队与疏导",
                        _p("售票、安检排队保持一米间隔，高峰时段增加引导人员，避免聚集。"),
                    ),
                ],
            ),
        ],
    },
    "isolation": {
        "title": "集中隔离点物业服务操作指引",
        "summary": "集中隔离点（酒店、培训中心等）物业人员的分区管理、送餐送物、医疗废物和终末消毒。",
        "place": "隔离点",
        "points": (
            "严格划分清洁区、缓冲区和污染区",
            "送餐送物无接触，放门口后敲门离开",
            "隔离人员垃圾一律按医疗废物处置",
            "人员解除隔离后房间终末消毒",
        ),
        "v2_note": "新增医疗废物交接登记和工作人员每日健康监测要求。",
        "chapters": [
            (
                "分区与人员防护",
                [
                    (
                        "三区划分",
                        _p("按清洁区、缓冲区、污染区划分通道和电梯，标识清楚，工作人员单向流动。"),
                    ),
                    (
                        "个人防护",
                        _p(
                            "进入污染区穿戴防护服、N95 口罩、护目镜和双层手套，脱卸在缓冲区按顺序进行。"
                        ),
                    ),
                ],
            ),
            (
                "送餐送物与垃圾",
                [
                    (
                        "无接触配送",
                        _p(
                            "餐食和物品放在房门口的置物凳上，敲门提示后离开，不与隔离人员当面交接。"
                        ),
                    ),
                    (
                        "医疗废物",
                        _p(
                            "隔离房间产生的垃圾一律按医疗废物处置：双层黄色袋鹅颈结封口，称重登记后交接转运。"
                        ),
                    ),
                ],
            ),
            (
                "终末消毒",
                [
                    (
                        "房间消毒",
                        _p(
                            "人员解除隔离或转出后，对房间物表、地面和空调滤网进行终末消毒，通风后再启用。"
                        ),
                    ),
                ],
            ),
        ],
    },
}


# --- news, topics, calls to action --------------------------------------------------------

NEWS: list[tuple[date, str, str, str]] = [
    (
        date(2020, 1, 26),
        "jan26-call",
        "协会发出物业管理区域防疫工作倡议书",
        "号召会员单位成立防控小组，加强出入管理、清洁消毒和从业人员自我防护。",
    ),
    (
        date(2020, 1, 29),
        "leading-group",
        "协会成立应对疫情工作领导小组",
        "领导小组统筹防控、物资、宣传、会员服务等工作，每日汇总各地情况。",
    ),
    (
        date(2020, 2, 3),
        "residential-guide",
        "《住宅小区疫情防控操作指引》发布",
        "指引从封闭管理、公共区域消毒、居家隔离户服务等方面给出可操作的要求。",
    ),
    (
        date(2020, 2, 6),
        "supplies-first-batch",
        "首批防护物资运抵武汉",
        "会员单位捐赠的防护服、口罩和84消毒液运抵武汉，分发到一线物业项目。",
    ),
    (
        date(2020, 2, 10),
        "five-guides",
        "五类物业项目防控指引全部上线",
        "住宅、写字楼、产业园区、学校、医院五类项目的指引可在线阅读和下载。",
    ),
    (
        date(2020, 2, 12),
        "volunteers-huoshenshan",
        "物业志愿者进驻火神山、雷神山医院",
        "三百余名物业志愿者承担医院保洁、消杀、医疗废物收运等后勤保障工作。",
    ),
    (
        date(2020, 2, 15),
        "legal-risk-guide",
        "协会发布疫情期间物业服务法律风险防范指引",
        "就合同履行、现场管理、劳动用工等常见问题给出提示，供会员单位参考。",
    ),
    (
        date(2020, 2, 18),
        "online-training",
        "防疫专题线上课程开讲",
        "课程讲解消毒剂配制、防护用品穿脱和居家隔离户服务，数万人次参加。",
    ),
    (
        date(2020, 2, 21),
        "supplies-100-batches",
        "捐赠武汉的物资累计超过一百批次",
        "物资覆盖武汉十五个区的数百家物业企业，每一批的去向均可查询。",
    ),
    (
        date(2020, 2, 25),
        "hvac-guide",
        "《空调通风系统运行管理指引》发布",
        "针对写字楼、商场等公共建筑，说明全新风运行和过滤网清洗消毒要求。",
    ),
    (
        date(2020, 2, 28),
        "survey-launch",
        "协会开展疫情对行业影响调查",
        "面向会员企业和业主的两份问卷同步发放，结果将用于向有关部门提出建议。",
    ),
    (
        date(2020, 3, 3),
        "infrared-gates",
        "会员单位向四十余个城市捐赠红外测温门",
        "测温门已在多个小区和写字楼出入口投入使用，减少人工测温的接触。",
    ),
    (
        date(2020, 3, 6),
        "resumption-guide",
        "写字楼和商业项目复工指引发布",
        "指引覆盖租户返岗登记、错峰上下班、空调通风和公共区域消毒。",
    ),
    (
        date(2020, 3, 10),
        "guides-v2",
        "各类项目防控指引更新至第二版",
        "根据各地反馈补充了电梯消毒、医疗废物交接等内容，版本记录可在指引页查看。",
    ),
    (
        date(2020, 3, 14),
        "publicity-figures",
        "行业防疫宣传稿件阅读量超过两百万",
        "协会公众号发布防疫文章约四百篇，会员单位自媒体持续报道一线故事。",
    ),
    (
        date(2020, 3, 18),
        "tax-relief-proposal",
        "协会就物业企业减税降费提出建议",
        "建议依据四千余份企业问卷和三万余份业主问卷形成，已报送有关部门。",
    ),
    (
        date(2020, 3, 25),
        "job-fair",
        "物业行业线上招聘会举行",
        "五十余家企业发布岗位，约三百名应届毕业生登记求职，千余人在线参与。",
    ),
    (
        date(2020, 4, 2),
        "produce-cabbage",
        "会员企业为业主团购滞销白菜四千斤",
        "物业企业对接产地，为小区业主团购蔬菜，帮助农户解决销售难题。",
    ),
    (
        date(2020, 4, 10),
        "produce-programme",
        "消费扶贫：物业企业采购贫困地区农产品",
        "一家会员企业为约五万户业主配送农产品，从贫困农户采购约四万八千斤。",
    ),
    (
        date(2020, 4, 20),
        "highland-barley",
        "协会与青稞产区开展消费扶贫合作",
        "会员企业通过社区渠道销售高原青稞产品，带动当地农户增收。",
    ),
]

CALLS = [
    (
        "call-jan26",
        "关于全力做好物业管理区域新型冠状病毒防疫工作的倡议书",
        date(2020, 1, 26),
        ASSOCIATION,
        _p(
            "各会员单位：疫情就是命令，防控就是责任。",
            "请立即成立防控工作小组，做好应急预案；加强出入管理和公共区域清洁消毒；"
            "配合街道社区做好人员排查；关心一线员工，配足防护用品，切实加强自我防护。",
        ),
    ),
    (
        "call-resumption",
        "致物业服务企业的复工复产倡议",
        date(2020, 3, 5),
        f"{ASSOCIATION}、武汉市物业管理协会",
        _p(
            "在做好防控的前提下，有序协助业主单位和租户复工复产：核实返岗人员、"
            "落实错峰上下班、保持空调新风运行，并对困难员工给予关心帮助。"
        ),
    ),
]


# --- the policy library ---------------------------------------------------------------------

LAW, NOTICE, SUPPORT, STANDARD = (
    PolicyPage.Category.LAW,
    PolicyPage.Category.NOTICE,
    PolicyPage.Category.SUPPORT,
    PolicyPage.Category.STANDARD,
)
# (slug, title, category, issuer, number, region code or "", issued, valid_until, summary)
POLICIES: list[tuple] = [
    (
        "infectious-disease-law",
        "中华人民共和国传染病防治法（摘要）",
        LAW,
        "全国人民代表大会常务委员会",
        "",
        "",
        date(2013, 6, 29),
        None,
        "规定传染病预防、疫情报告、控制措施；单位和个人应当配合。",
    ),
    (
        "emergency-response-law",
        "中华人民共和国突发事件应对法（摘要）",
        LAW,
        "全国人民代表大会常务委员会",
        "",
        "",
        date(2007, 8, 30),
        None,
        "突发事件的预防、应急准备、处置与救援的一般规定。",
    ),
    (
        "property-regulation",
        "物业管理条例（摘要）",
        LAW,
        "国务院",
        "",
        "",
        date(2018, 3, 19),
        None,
        "物业服务企业按照合同提供服务，协助做好物业管理区域内的安全防范工作。",
    ),
    (
        "hubei-emergency-measures",
        "湖北省突发公共卫生事件应急措施（摘要）",
        LAW,
        "湖北省人民代表大会常务委员会",
        "",
        "42",
        date(2020, 2, 8),
        None,
        "明确省内单位和个人在突发公共卫生事件中的义务。",
    ),
    (
        "public-place-disinfection",
        "公共场所新型冠状病毒感染的肺炎卫生防护指南",
        STANDARD,
        "国家卫生健康委员会",
        "",
        "",
        date(2020, 1, 31),
        date(2020, 6, 30),
        "公共场所通风、清洁消毒、人员防护的基本要求。",
    ),
    (
        "hvac-operation",
        "新冠肺炎疫情期间办公场所和公共场所空调通风系统运行管理指南",
        STANDARD,
        "国务院应对新型冠状病毒肺炎疫情联防联控机制",
        "",
        "",
        date(2020, 2, 12),
        None,
        "全新风运行、关闭回风、过滤网定期清洗消毒。",
    ),
    (
        "community-prevention",
        "关于加强新型冠状病毒感染的肺炎疫情社区防控工作的通知",
        NOTICE,
        "国务院应对新型冠状病毒肺炎疫情联防联控机制",
        "",
        "",
        date(2020, 1, 24),
        date(2020, 5, 31),
        "以社区网格为单位开展排查，落实社区防控措施。",
    ),
    (
        "closed-management-wuhan",
        "关于在全市住宅小区实行封闭管理的通告",
        NOTICE,
        "武汉市新型冠状病毒感染的肺炎疫情防控指挥部",
        "第12号",
        "4201",
        date(2020, 2, 11),
        date(2020, 4, 8),
        "全市住宅小区实行封闭管理，严格出入登记。",
    ),
    (
        "wuhan-goods-delivery",
        "关于做好封闭小区居民生活物资保障的通知",
        NOTICE,
        "武汉市新型冠状病毒感染的肺炎疫情防控指挥部",
        "",
        "4201",
        date(2020, 2, 17),
        date(2020, 4, 8),
        "社区团购、无接触配送，物业协助分发。",
    ),
    (
        "jianghan-community-check",
        "江汉区关于开展社区拉网式排查的通知",
        NOTICE,
        "武汉市江汉区新冠肺炎疫情防控指挥部",
        "",
        "420103",
        date(2020, 2, 16),
        date(2020, 3, 31),
        "逐户排查发热病人和密切接触者，物业配合社区上门。",
    ),
    (
        "wuchang-property-duty",
        "武昌区物业服务企业疫情防控责任清单",
        NOTICE,
        "武汉市武昌区住房保障和房屋管理局",
        "",
        "420106",
        date(2020, 2, 20),
        date(2020, 4, 30),
        "列明物业服务企业在出入管理、消毒、信息报送中的责任。",
    ),
    (
        "hongshan-resumption",
        "洪山区企业复工复产疫情防控指引",
        NOTICE,
        "武汉市洪山区人民政府",
        "",
        "420111",
        date(2020, 3, 20),
        None,
        "复工企业的申报、员工返岗和场所防控要求。",
    ),
    (
        "hubei-resumption",
        "湖北省企业复工复产疫情防控指南",
        NOTICE,
        "湖北省新冠肺炎疫情防控指挥部",
        "",
        "42",
        date(2020, 3, 11),
        None,
        "分类分区有序复工，落实企业防控主体责任。",
    ),
    (
        "mohurd-property-notice",
        "关于做好住宅小区新冠肺炎疫情防控工作的通知",
        NOTICE,
        "住房和城乡建设部",
        "",
        "",
        date(2020, 2, 3),
        None,
        "指导物业服务企业配合街道社区做好住宅小区防控。",
    ),
    (
        "office-resumption-guide",
        "办公场所复工疫情防控指引",
        NOTICE,
        "国务院应对新型冠状病毒肺炎疫情联防联控机制",
        "",
        "",
        date(2020, 2, 21),
        None,
        "办公场所人员管理、通风、消毒和就餐要求。",
    ),
    (
        "social-insurance-relief",
        "关于阶段性减免企业社会保险费的通知",
        SUPPORT,
        "人力资源社会保障部、财政部、国家税务总局",
        "人社部发〔2020〕11号",
        "",
        date(2020, 2, 20),
        date(2020, 6, 30),
        "中小微企业养老、失业、工伤保险单位缴费阶段性免征。",
    ),
    (
        "vat-relief",
        "关于支持个体工商户复工复业增值税政策的公告",
        SUPPORT,
        "财政部、国家税务总局",
        "2020年第13号",
        "",
        date(2020, 2, 28),
        date(2020, 5, 31),
        "小规模纳税人增值税征收率阶段性降低。",
    ),
    (
        "stable-jobs-refund",
        "关于做好失业保险稳岗返还工作的通知",
        SUPPORT,
        "人力资源社会保障部",
        "",
        "",
        date(2020, 3, 4),
        date(2020, 12, 31),
        "不裁员或少裁员的企业可申请返还失业保险费。",
    ),
    (
        "hubei-sme-support",
        "湖北省支持中小微企业共渡难关的若干措施",
        SUPPORT,
        "湖北省人民政府办公厅",
        "",
        "42",
        date(2020, 2, 9),
        date(2020, 12, 31),
        "减免房租、延期缴税、贷款贴息等措施。",
    ),
    (
        "wuhan-rent-relief",
        "武汉市国有房产租金减免实施办法",
        SUPPORT,
        "武汉市人民政府国有资产监督管理委员会",
        "",
        "4201",
        date(2020, 2, 14),
        date(2020, 4, 30),
        "承租国有经营性房产的中小企业减免租金。",
    ),
    (
        "wuhan-property-subsidy",
        "武汉市对坚守一线物业服务企业给予补贴的通知",
        SUPPORT,
        "武汉市住房保障和房屋管理局",
        "",
        "4201",
        date(2020, 3, 16),
        date(2020, 6, 30),
        "对疫情期间坚守一线的物业项目按面积给予防疫补贴。",
    ),
    (
        "credit-support",
        "关于进一步强化金融支持防控新型冠状病毒感染肺炎疫情的通知",
        SUPPORT,
        "中国人民银行等五部门",
        "银发〔2020〕29号",
        "",
        date(2020, 1, 31),
        date(2020, 6, 30),
        "对受疫情影响的企业不抽贷、不断贷，合理延后还款。",
    ),
    (
        "medical-waste",
        "医疗机构废弃物综合治理工作方案（摘要）",
        STANDARD,
        "国家卫生健康委员会等部门",
        "",
        "",
        date(2020, 2, 24),
        None,
        "医疗废物分类收集、暂存、交接和转运要求。",
    ),
    (
        "mask-disposal",
        "关于做好废弃口罩收集处置工作的通知",
        NOTICE,
        "国家卫生健康委员会办公厅",
        "",
        "",
        date(2020, 3, 5),
        date(2020, 9, 30),
        "公共场所设置废弃口罩专用收集容器，规范处置。",
    ),
    (
        "labour-relations",
        "关于妥善处理新冠肺炎疫情防控期间劳动关系问题的通知",
        NOTICE,
        "人力资源社会保障部办公厅",
        "人社厅明电〔2020〕5号",
        "",
        date(2020, 1, 24),
        None,
        "隔离、医学观察期间的工资支付和劳动合同处理。",
    ),
    (
        "contract-force-majeure",
        "关于疫情期间物业服务合同履行有关问题的意见",
        NOTICE,
        "武汉市物业管理协会",
        "",
        "4201",
        date(2020, 3, 2),
        None,
        "疫情期间物业服务内容调整、费用收取的协商原则。",
    ),
    (
        "campus-reopening",
        "高等学校新冠肺炎疫情防控技术方案",
        STANDARD,
        "教育部、国家卫生健康委员会",
        "",
        "",
        date(2020, 4, 13),
        None,
        "开学前准备、开学后校园管理和应急处置。",
    ),
    (
        "transport-hub",
        "客运场站和交通运输工具新冠肺炎疫情分区分级防控指南",
        STANDARD,
        "交通运输部",
        "",
        "",
        date(2020, 2, 22),
        None,
        "客运站通风消毒、乘客测温和留观要求。",
    ),
    (
        "mall-reopening",
        "商场、超市疫情防控技术指南",
        STANDARD,
        "商务部办公厅",
        "",
        "",
        date(2020, 3, 3),
        None,
        "限流、测温、公共区域消毒和员工健康管理。",
    ),
    (
        "wuhan-lifting",
        "关于解除离汉通道管控措施的通告",
        NOTICE,
        "武汉市新型冠状病毒感染的肺炎疫情防控指挥部",
        "第40号",
        "4201",
        date(2020, 4, 8),
        None,
        "恢复对外交通，住宅小区继续做好出入管理。",
    ),
]

# (question, answer, policy slugs)
FAQ: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "小区封闭管理期间，业主能否拒绝测温？",
        "测温是属地防控指挥部要求的措施，业主应当配合；物业人员应说明依据，态度文明。",
        ("closed-management-wuhan", "infectious-disease-law"),
    ),
    (
        "物业能否要求业主登记行程和健康状况？",
        "可以按街道社区要求登记，收集的信息只用于防控，不得对外泄露。",
        ("community-prevention", "infectious-disease-law"),
    ),
    (
        "居家隔离户的生活垃圾如何处理？",
        "由专人每日上门收取，消毒后双层封扎，单独清运。",
        ("mask-disposal",),
    ),
    ("废弃口罩应放在哪里？", "投放到专用收集桶，收集桶每日消毒、密封清运。", ("mask-disposal",)),
    (
        "写字楼空调能不能开？",
        "可以按全新风方式运行，关闭回风；不能全新风的系统暂停使用。",
        ("hvac-operation", "office-resumption-guide"),
    ),
    (
        "疫情期间物业费是否可以减免？",
        "物业服务合同仍然有效，费用调整由双方协商；有补贴政策的地区可申请。",
        ("contract-force-majeure", "wuhan-property-subsidy"),
    ),
    (
        "员工被隔离观察期间工资怎么发？",
        "隔离、医学观察期间企业应当支付工作报酬，不得解除劳动合同。",
        ("labour-relations",),
    ),
    (
        "物业企业能享受哪些社保减免？",
        "中小微企业阶段性免征养老、失业、工伤保险单位缴费。",
        ("social-insurance-relief",),
    ),
    (
        "不裁员的企业可以申请哪些返还？",
        "符合条件的可申请失业保险稳岗返还。",
        ("stable-jobs-refund",),
    ),
    (
        "企业复工需要准备什么？",
        "按属地要求申报，核对返岗人员行程和健康状况，落实场所防控措施。",
        ("hubei-resumption", "hongshan-resumption", "office-resumption-guide"),
    ),
    (
        "医院物业保洁人员需要什么防护？",
        "进入发热门诊等区域按二级防护穿戴，上岗前经感控部门培训考核。",
        ("medical-waste", "public-place-disinfection"),
    ),
    (
        "离汉通道解除后小区还要封闭吗？",
        "按属地最新要求执行，继续做好出入登记和公共区域消毒。",
        ("wuhan-lifting", "closed-management-wuhan"),
    ),
]


# --- writing ------------------------------------------------------------------------------------


def _child(parent: Page, model, slug: str):
    """The page `slug` under `parent`, if it was made by an earlier run."""
    return model.objects.child_of(parent).filter(slug=slug).first()


def _publish(page: Page, at: datetime) -> Revision:
    """Save a revision and publish it (Wagtail's API), then date both back to `at`."""
    revision = page.save_revision()
    revision.publish()
    Revision.objects.filter(pk=revision.pk).update(created_at=at)
    PageLogEntry.objects.filter(page_id=page.pk, revision_id=revision.pk).update(timestamp=at)
    first = Page.objects.filter(pk=page.pk).values_list("first_published_at", flat=True).get()
    Page.objects.filter(pk=page.pk).update(
        last_published_at=at,
        latest_revision_created_at=at,
        first_published_at=min(first, at) if first else at,
    )
    return revision


def _add(parent: Page, page: Page, at: datetime) -> Page:
    page.live = False
    parent.add_child(instance=page)
    _publish(page, at)
    return page


def _at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def build_guides(home, report: PublishingReport) -> dict[str, GuidePage]:
    Document = get_document_model()
    labels = dict(SITE_TYPES)
    guides: dict[str, GuidePage] = {}
    for site_type, _label in SITE_TYPES:
        spec = GUIDES[site_type]
        guide = _child(home, GuidePage, site_type)
        if guide is not None:
            guides[site_type] = guide
            continue
        chapters = [
            _organisation(spec["place"]),
            *spec["chapters"],
            _protection(),
        ]
        guide = _add(
            home,
            GuidePage(
                title=spec["title"],
                slug=site_type,
                site_type=site_type,
                summary=spec["summary"],
                version="1.0",
                change_note="首次发布。",
                poster_points="\n".join(spec["points"][:-1]),
                show_in_menus=False,
            ),
            V1_AT,
        )
        for number, (title, sections) in enumerate(chapters, start=1):
            _add(
                guide,
                GuideChapterPage(
                    title=title,
                    slug=f"ch{number}",
                    sections=[("section", {"heading": h, "body": b}) for h, b in sections],
                ),
                V1_AT,
            )
        pdf = guide_document_pdf(
            title=spec["title"],
            subtitle=f"{labels[site_type]} · 第 2.0 版 · {ASSOCIATION}",
            chapters=chapters,
        )
        document = Document(title=f"{spec['title']}（第 2.0 版，PDF）")
        document.file.save(f"guide-{site_type}-v2.pdf", ContentFile(pdf), save=False)
        document.save()
        report.documents.append(document.pk)
        guide = GuidePage.objects.get(pk=guide.pk)
        guide.version = "2.0"
        guide.change_note = spec["v2_note"]
        guide.poster_points = "\n".join(spec["points"])
        guide.document = document
        _publish(guide, V2_AT)
        guides[site_type] = guide
    return guides


def build_news(home, report: PublishingReport) -> list[NewsPage]:
    index = NewsIndexPage.objects.child_of(home).first()
    out = []
    for day, slug, title, summary in NEWS:
        page = _child(index, NewsPage, slug)
        if page is None:
            body = _p(
                summary,
                f"{ASSOCIATION}将持续跟进，相关指引和政策可在本站“操作指引”“政策法规”栏目查阅。",
            )
            page = _add(
                index,
                NewsPage(title=title, slug=slug, date=day, summary=summary, body=body),
                _at(day),
            )
        out.append(page)
    return out


def build_policies(home) -> dict[str, PolicyPage]:
    index = PolicyIndexPage.objects.child_of(home).first()
    regions = {
        d.code: d
        for d in Division.objects.filter(code__in=["42", "4201", "420103", "420106", "420111"])
    }
    out = {}
    for slug, title, category, issuer, number, region, issued, until, summary in POLICIES:
        page = _child(index, PolicyPage, slug)
        if page is None:
            page = _add(
                index,
                PolicyPage(
                    title=title,
                    slug=slug,
                    category=category,
                    issuer=issuer,
                    document_number=number,
                    region=regions.get(region) if region else None,
                    issued_on=issued,
                    valid_from=issued,
                    valid_until=until,
                    summary=summary,
                    body=_p(summary, "本页为协会整理的要点摘要，以发布机关的原文为准。"),
                ),
                _at(max(issued, date(2020, 1, 20))),
            )
        out[slug] = page
    return out


def build_faq(home, policies: dict[str, PolicyPage]) -> FaqPage:
    faq = FaqPage.objects.child_of(home).first()
    if faq.items.exists():
        return faq
    faq = faq.specific
    faq.summary = "物业服务企业和业主在疫情期间常问的问题，附相关政策。"
    faq.items = [
        FaqItem(question=question, answer=_p(answer), sort_order=i)
        for i, (question, answer, _slugs) in enumerate(FAQ)
    ]
    _publish(faq, _at(date(2020, 3, 20)))
    # FaqItem is a plain Orderable, so its policies are not carried by the page's
    # revision: they are linked on the published rows.
    through = FaqItem.policies.through
    through.objects.bulk_create(
        through(faqitem_id=item.pk, policypage_id=policies[slug].pk)
        for item in FaqItem.objects.filter(page=faq).order_by("sort_order")
        for slug in FAQ[item.sort_order][2]
        if slug in policies
    )
    return faq


def build_features(home, guides, news, policies) -> list[Page]:
    pages: list[Page] = []
    for slug, title, issued, signatories, body in CALLS:
        page = _child(home, CallToActionPage, slug)
        if page is None:
            page = _add(
                home,
                CallToActionPage(
                    title=title, slug=slug, issued_on=issued, signatories=signatories, body=body
                ),
                _at(issued),
            )
        pages.append(page)
    news_by_slug = {n.slug: n for n in news}
    topics = [
        (
            "topic-frontline",
            "守住社区防控第一道防线",
            "2020年1月至3月，物业服务人员在小区封闭管理、出入登记、清洁消毒和居家隔离户服务中"
            "坚守岗位。本专题汇集相关指引、新闻和政策。",
            [
                guides["residential"],
                guides["hospital"],
                news_by_slug["jan26-call"],
                news_by_slug["volunteers-huoshenshan"],
                news_by_slug["supplies-100-batches"],
                policies["closed-management-wuhan"],
                pages[0],
            ],
            date(2020, 2, 20),
        ),
        (
            "topic-resumption",
            "有序复工复产与稳岗就业",
            "复工阶段的写字楼、商业和园区指引，减税降费与稳岗政策，行业招聘会和消费扶贫。",
            [
                guides["office"],
                guides["commercial"],
                guides["industrial"],
                news_by_slug["resumption-guide"],
                news_by_slug["job-fair"],
                news_by_slug["produce-programme"],
                policies["social-insurance-relief"],
                policies["stable-jobs-refund"],
                pages[1],
            ],
            date(2020, 3, 22),
        ),
    ]
    for slug, title, intro, linked, day in topics:
        page = _child(home, TopicPage, slug)
        if page is None:
            page = TopicPage(title=title, slug=slug, summary=intro[:120], body=_p(intro))
            page.links = [TopicLink(page=p, sort_order=i) for i, p in enumerate(linked)]
            page = _add(home, page, _at(day))
        pages.append(page)
    return pages


@transaction.atomic
def build_publishing(*, rng: random.Random) -> PublishingReport:
    """The public site's demo content; adds only what an earlier run did not make."""
    report = PublishingReport()
    home = site_ensure()
    guides = build_guides(home, report)
    news = build_news(home, report)
    policies = build_policies(home)
    faq = build_faq(home, policies)
    features = build_features(home, guides, news, policies)
    chapters = list(GuideChapterPage.objects.descendant_of(home).values_list("pk", flat=True))
    report.pages = [
        *(g.pk for g in guides.values()),
        *chapters,
        *(n.pk for n in news),
        *(p.pk for p in policies.values()),
        faq.pk,
        *(p.pk for p in features),
    ]
    if not report.documents:
        report.documents = [
            g.document_id
            for g in GuidePage.objects.filter(pk__in=[g.pk for g in guides.values()])
            if g.document_id
        ]
    report.counts = {
        "guides": len(guides),
        "chapters": len(chapters),
        "news": len(news),
        "policies": len(policies),
        "faq_items": FaqItem.objects.filter(page=faq).count(),
        "topics": sum(isinstance(p, TopicPage) for p in features),
        "calls": sum(isinstance(p, CallToActionPage) for p in features),
        "documents": len(report.documents),
    }
    reading = reading_history_hook(report, rng=rng)
    report.counts.update(reading_views=reading["views"], reading_downloads=reading["downloads"])
    return report


def reading_history_hook(report: PublishingReport, *, rng: random.Random) -> dict:
    """The reading figures' demo history over these pages and documents: ~600,000
    views and downloads from the call of 26 January to the article (22 April 2020),
    by publishing.services.reading.reading_history_seed."""
    from firstline.publishing.services.reading import days_between, reading_history_seed

    return reading_history_seed(
        pages=list(Page.objects.filter(pk__in=report.pages).order_by("pk")),
        documents=list(get_document_model().objects.filter(pk__in=report.documents).order_by("pk")),
        days=days_between(date(2020, 1, 26), date(2020, 4, 22)),
        total_views=READING_VIEWS,
        total_downloads=READING_DOWNLOADS,
        rng=rng,
    )
