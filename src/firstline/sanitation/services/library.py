"""The association's checklist library: one guide per site type, as data.

Written in our own words from the public-health guidance published in 2020 for
public places (chlorine-containing disinfectant at 500 mg/L for ordinary surfaces
and 1000 mg/L for toilets and garbage points, 75% alcohol for small surfaces that
hands touch, lift buttons several times a day, windows opened to ventilate) and
from the guide for air-conditioning and ventilation of public buildings (run on
fresh air, close the return air, clean and disinfect filters weekly, keep toilet
exhaust running). Codes are stable: an override or a plan follows an item by code
from one version to the next, so a code is never reused for a different thing.

`library_install` publishes each type's list as version 1 when that type has no
guide yet; running it again changes nothing.
"""

from __future__ import annotations

from django.db import transaction

from firstline.sanitation.models import AreaKind

CHLORINE = "含氯消毒剂"
ALCOHOL = "75%酒精"
C500 = "500 mg/L"
C1000 = "1000 mg/L"

SOURCE = (
    "国家卫生健康委、中国疾控中心2020年公共场所疫情防控消毒指引；"
    "公共建筑空调通风系统运行管理指南（协会整理）"
)

SITE_TYPE_TITLES = {
    "residential": "住宅小区公共区域消毒操作指引",
    "office": "写字楼公共区域消毒操作指引",
    "industrial": "产业园区公共区域消毒操作指引",
    "campus": "学校公共区域消毒操作指引",
    "hospital": "医院后勤公共区域消毒操作指引",
}


def _item(
    code, kind, title, method, disinfectant="", concentration="", *, tpd=None, eh=None, pre=""
):
    return {
        "code": code,
        "area_kind": kind,
        "title": title,
        "method": method,
        "disinfectant": disinfectant,
        "concentration": concentration,
        "times_per_day": tpd,
        "every_hours": eh,
        "precautions": pre,
    }


WIPE_DWELL = "作用30分钟后用清水擦净，避免腐蚀金属表面。"
PPE = "作业时戴口罩、手套，配制含氯消毒剂时注意通风，不与酸性清洁剂混用。"


def _lift(eh):
    return [
        _item(
            "lift-buttons",
            AreaKind.LIFT,
            "电梯按钮及扶手擦拭消毒",
            "用蘸有消毒液的抹布擦拭轿厢内外按钮、扶手；按钮可用酒精棉片逐个擦拭。",
            ALCOHOL,
            "",
            eh=eh,
            pre="按钮面板不宜喷洒液体，防止渗入电路；可贴覆膜并随消毒一并擦拭。",
        ),
        _item(
            "lift-car",
            AreaKind.LIFT,
            "电梯轿厢内壁及地面消毒",
            "轿厢内壁、地面用消毒液擦拭或拖拭，门槛缝隙一并清理。",
            CHLORINE,
            C500,
            tpd=2,
            pre=WIPE_DWELL,
        ),
    ]


def _common(*, lift_hours, toilet, handles, lobby=2, toilet_hours=None):
    """Items every site type shares; frequencies differ by type."""
    return [
        *_lift(lift_hours),
        _item(
            "lobby-surfaces",
            AreaKind.LOBBY,
            "大堂地面、前台台面及座椅消毒",
            "地面湿式拖拭，台面、座椅用消毒液擦拭；先清洁后消毒。",
            CHLORINE,
            C500,
            tpd=lobby,
            pre=WIPE_DWELL,
        ),
        _item(
            "lobby-ventilation",
            AreaKind.LOBBY,
            "大堂及门厅开窗通风",
            "开启门窗自然通风，每次不少于30分钟；无法开窗时开启机械排风。",
            tpd=3,
            pre="雨雪天气注意防滑，通风时关注室温，避免人员受凉。",
        ),
        _item(
            "door-handles",
            AreaKind.DOOR_HANDLE,
            "门把手、门禁按键及扶手消毒",
            "单元门把手、门禁面板、楼道扶手、信报箱表面逐一擦拭。",
            ALCOHOL,
            "",
            tpd=handles,
            pre="门禁读卡区用酒精棉片擦拭，不要喷洒。",
        ),
        _item(
            "stairwell",
            AreaKind.STAIRWELL,
            "楼梯间扶手及地面消毒",
            "扶手自上而下擦拭，台阶和休息平台拖拭消毒。",
            CHLORINE,
            C500,
            tpd=2,
            pre=WIPE_DWELL,
        ),
        _item(
            "garbage-point",
            AreaKind.GARBAGE,
            "垃圾收集点及垃圾桶消毒",
            "垃圾清运后对垃圾桶内外、桶盖、收集点地面喷洒消毒。",
            CHLORINE,
            C1000,
            tpd=2,
            pre="垃圾日产日清；消毒后保持作用时间，作业人员戴手套、口罩，结束后洗手。",
        ),
        _item(
            "mask-bin",
            AreaKind.GARBAGE,
            "废弃口罩专用收集桶消毒",
            "专用桶每次清运后喷洒消毒，桶内套袋扎口后单独收运。",
            CHLORINE,
            C1000,
            tpd=2,
            pre="专用桶须有明显标识并加盖；收运时不得挤压垃圾袋。",
        ),
        _item(
            "car-park",
            AreaKind.CAR_PARK,
            "停车场道闸按钮、收费亭及电梯厅消毒",
            "道闸取卡按钮、收费窗口台面擦拭，地下车库电梯厅地面拖拭。",
            CHLORINE,
            C500,
            tpd=2,
            pre="地下车库同时开启排风系统。",
        ),
        _item(
            "toilet",
            AreaKind.TOILET,
            "公共卫生间地面、便池及洗手台消毒",
            "便池、洗手台、门把手、冲水按钮擦拭消毒，地面拖拭。",
            CHLORINE,
            C1000,
            tpd=None if toilet_hours else toilet,
            eh=toilet_hours,
            pre="保证洗手液和擦手纸充足；排风扇持续开启；拖布专区专用。",
        ),
        _item(
            "parcel-room",
            AreaKind.PARCEL_ROOM,
            "快递收发室及快递柜消毒",
            "收发台面、快递柜屏幕和柜门把手擦拭，地面拖拭。",
            CHLORINE,
            C500,
            tpd=3,
            pre="快递柜屏幕用酒精擦拭；推行无接触投递，取件人员保持间距。",
        ),
        _item(
            "gate-booth",
            AreaKind.GATE,
            "出入口岗亭台面、测温枪及登记笔消毒",
            "岗亭台面、测温枪、登记用笔和门禁刷卡区擦拭消毒。",
            ALCOHOL,
            "",
            eh=4,
            pre="岗亭保持通风，值守人员规范佩戴口罩。",
        ),
        _item(
            "other-public",
            AreaKind.OTHER,
            "其他公共区域（座椅、宣传栏、休闲设施）消毒",
            "公共座椅、宣传栏、健身路径和儿童游乐设施擦拭消毒。",
            CHLORINE,
            C500,
            tpd=1,
            pre=WIPE_DWELL,
        ),
    ]


def _hvac():
    """Air conditioning and ventilation of public buildings, after the HVAC guide."""
    return [
        _item(
            "hvac-fresh-air",
            AreaKind.HVAC,
            "空调全新风运行、关闭回风",
            "确认空调机组处于全新风模式，回风阀关闭；每日开放前提前1小时开启，"
            "下班后继续运行1小时。",
            tpd=1,
            pre="无法关闭回风的系统应停用，改为开窗通风；发现异常立即报告工程部。",
        ),
        _item(
            "hvac-filter",
            AreaKind.HVAC,
            "新风口、过滤网检查与每周清洗消毒",
            "每日检查新风取风口周边清洁、无污染源；过滤网、过滤器每周清洗后浸泡消毒，"
            "清水冲净晾干后装回。",
            CHLORINE,
            C500,
            tpd=1,
            pre="清洗作业时戴口罩、手套和护目镜；风机盘管的冷凝水盘同时清洗消毒。",
        ),
        _item(
            "hvac-exhaust",
            AreaKind.HVAC,
            "卫生间及公共区域排风持续运行",
            "检查卫生间排风机全天运行，排风口通畅；地漏存水弯注水防止反味。",
            tpd=1,
            pre="排风口不得靠近新风取风口。",
        ),
    ]


def _gym(tpd):
    return _item(
        "gym",
        AreaKind.GYM,
        "健身场所器械表面消毒",
        "器械握把、座垫、更衣柜把手擦拭消毒，地面拖拭。",
        CHLORINE,
        C500,
        tpd=tpd,
        pre="疫情较重期间暂停开放；开放时控制人数并开窗通风。",
    )


def _canteen(tpd):
    return _item(
        "canteen",
        AreaKind.CANTEEN,
        "食堂餐桌椅及取餐台消毒",
        "每餐结束后餐桌、座椅、取餐台擦拭消毒；餐具煮沸或进消毒柜。",
        CHLORINE,
        C500,
        tpd=tpd,
        pre="错峰就餐、分散就座；消毒后用清水擦净桌面残留。",
    )


def _residential():
    return [*_common(lift_hours=3, toilet=3, handles=3), _gym(2)]


def _office():
    return [
        *_common(lift_hours=2, toilet=4, handles=4, lobby=3),
        _item(
            "meeting-room",
            AreaKind.OTHER,
            "会议室桌面、话筒及遥控器消毒",
            "每次会议结束后桌面、椅背扶手、话筒、遥控器擦拭消毒，开窗通风。",
            ALCOHOL,
            "",
            tpd=2,
            pre="控制会议人数和时长，座位间隔1米以上。",
        ),
        _canteen(3),
        *_hvac(),
    ]


def _industrial():
    return [
        *_common(lift_hours=3, toilet=4, handles=3),
        _item(
            "dormitory",
            AreaKind.OTHER,
            "员工宿舍公共区域消毒",
            "宿舍走廊、公共洗漱间、晾衣区擦拭或喷洒消毒。",
            CHLORINE,
            C500,
            tpd=2,
            pre="宿舍每日开窗通风；发现发热员工立即报告并单独安置。",
        ),
        _canteen(3),
        *_hvac(),
    ]


def _campus():
    return [
        *_common(lift_hours=3, toilet=4, handles=4),
        _item(
            "classroom",
            AreaKind.OTHER,
            "教室课桌椅、门窗把手消毒",
            "课间开窗通风，放学后课桌椅、讲台、门窗把手擦拭消毒。",
            CHLORINE,
            C500,
            tpd=1,
            pre="消毒在学生离开后进行，作用后用清水擦净，避免学生接触消毒液。",
        ),
        _gym(1),
        _canteen(3),
        *_hvac(),
    ]


def _hospital():
    # Hospital public areas see the most traffic: shorter intervals throughout.
    return [
        *_common(lift_hours=2, toilet=0, toilet_hours=2, handles=6, lobby=4),
        _item(
            "waiting-area",
            AreaKind.LOBBY,
            "候诊区座椅及挂号缴费台消毒",
            "候诊座椅、自助机屏幕、挂号缴费窗口台面擦拭消毒。",
            CHLORINE,
            C500,
            eh=2,
            pre="自助机屏幕用酒精擦拭；有血液、体液污染时先用吸湿材料清除，"
            "再用1000 mg/L含氯消毒剂处理。",
        ),
        _canteen(3),
        *_hvac(),
    ]


LIBRARY: dict[str, list[dict]] = {
    "residential": _residential(),
    "office": _office(),
    "industrial": _industrial(),
    "campus": _campus(),
    "hospital": _hospital(),
}


def library_install(actor=None) -> dict[str, int]:
    """Publish each site type's checklist as version 1 where that type has no guide
    yet. Returns {site_type: version} for the types it published (empty: nothing to do)."""
    from firstline.sanitation.models import Guide
    from firstline.sanitation.services.guides import guide_publish_version

    done = {}
    with transaction.atomic():
        present = set(Guide.objects.values_list("site_type", flat=True).distinct())
        for site_type, items in LIBRARY.items():
            if site_type in present:
                continue
            guide = guide_publish_version(
                actor=actor,
                site_type=site_type,
                items=items,
                title=SITE_TYPE_TITLES[site_type],
                source=SOURCE,
            )
            done[site_type] = guide.version
    return done
