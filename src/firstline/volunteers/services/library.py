"""The texts the association starts with: the support services of hospitals and
isolation points with their safety rules (after the national guidance for medical
waste, patient transfer and terminal disinfection in designated hospitals and
centralised isolation points, 2020), and the first version of the volunteer consent.
Pure data: `services/support.task_types_install` writes it, idempotently."""

from __future__ import annotations

TASK_TYPES: list[dict] = [
    {
        "kind": "medical_waste",
        "name": "医疗废物收运",
        "needs_weight": True,
        "minutes_allowed": 60,
        "safety_rules": (
            "一、穿戴：医用防护口罩（N95）、护目镜或防护面屏、医用防护服、双层乳胶手套、鞋套。\n"
            "二、涉疫医疗废物使用双层黄色包装袋，逐层鹅颈式封扎，外贴“新冠”标识。\n"
            "三、包装外表面用 1000 mg/L 含氯消毒液喷洒消毒后方可转运。\n"
            "四、称重登记，与接收方当面交接并签名，交接单留存三年。\n"
            "五、转运车辆专车专用，按规定路线、时间运送，转运后对车辆和通道消毒。"
        ),
    },
    {
        "kind": "garbage",
        "name": "生活垃圾转运",
        "needs_weight": True,
        "minutes_allowed": 90,
        "safety_rules": (
            "一、隔离区域产生的生活垃圾按医疗废物管理。\n"
            "二、穿戴一次性医用口罩、手套、工作服，作业后手卫生。\n"
            "三、垃圾袋满四分之三封口，桶身每日用 500 mg/L 含氯消毒液擦拭。\n"
            "四、日产日清，交接时称重并签名。"
        ),
    },
    {
        "kind": "patient",
        "name": "患者转运",
        "needs_weight": False,
        "minutes_allowed": 45,
        "safety_rules": (
            "一、二级防护：医用防护口罩、护目镜、防护服、手套、鞋套。\n"
            "二、使用负压转运车或专用通道，转运途中关闭车窗，患者佩戴医用外科口罩。\n"
            "三、与接收科室当面交接患者及病历资料，接收人签名。\n"
            "四、转运后对车辆、担架进行终末消毒。"
        ),
    },
    {
        "kind": "specimen",
        "name": "标本运送",
        "needs_weight": False,
        "minutes_allowed": 30,
        "safety_rules": (
            "一、标本置于密封袋，再放入有生物安全标识的专用转运箱，箱外消毒。\n"
            "二、运送途中箱体保持直立，不得开箱，不得与其他物品混放。\n"
            "三、送达实验室当面交接，核对数量，接收人签名。\n"
            "四、发生泄漏立即用 2000 mg/L 含氯消毒液覆盖处理并报告。"
        ),
    },
    {
        "kind": "medicine",
        "name": "药品配送",
        "needs_weight": False,
        "minutes_allowed": 60,
        "safety_rules": (
            "一、核对药品名称、数量和接收人，冷链药品全程保持规定温度。\n"
            "二、进入隔离区域按区域要求穿戴防护用品。\n"
            "三、当面交接，接收人签名。"
        ),
    },
    {
        "kind": "terminal_clean",
        "name": "终末消毒保洁",
        "needs_weight": False,
        "minutes_allowed": 120,
        "safety_rules": (
            "一、患者出院、转科或死亡后进行终末消毒，先消毒后清洁。\n"
            "二、物体表面用 1000 mg/L 含氯消毒液擦拭，作用 30 分钟后清水擦净；空气用过氧化氢或紫外线消毒。\n"
            "三、床单被褥按感染性织物处理，双层封装。\n"
            "四、完成后由病区负责人验收签名。"
        ),
    },
]

CONSENT_TEXT = (
    "志愿服务知情同意书（第1版）\n"
    "1. 我自愿参加疫情防控志愿服务，服从协会和派驻单位的安排，遵守防护规定。\n"
    "2. 我了解服务可能接触传染源的风险，协会为志愿者购买意外伤害保险并发放防护用品。\n"
    "3. 我同意协会为组织志愿服务收集我的姓名、身份证号、手机号、紧急联系人和健康信息；"
    "身份证号和手机号加密保存，仅授权人员因工作需要可查看，且每次查看均有记录。\n"
    "4. 我如实申报健康状况；服务期间每日接受健康检查，结果异常时暂停上岗。\n"
    "5. 服务结束后，协会按规定期限保存记录，服务证明仅公开遮盖后的姓名、时长和日期。"
)
