"""The periodic jobs, all in one place: what runs, when, and in which time zone.

A composition root beside api.py and urls.py: it names every app's job, and no app
imports it. `manage worker` (run by `./firstline worker` and `./firstline demo`)
runs them with the scheduler in core/scheduler.py, which finds this list through
settings.FIRSTLINE_SCHEDULE: each slot runs exactly once however many workers run,
a slot missed while no worker ran runs once when one starts, and a failure is
recorded and retried. The jobs page (/system/jobs/) shows how each went.

`run` is a Django Task or the dotted path of a function; it is called with `kwargs`.
Times are read in settings.TIME_ZONE unless a job names its `time_zone`. Each job's
management command (`./firstline manage health_tick`, …) runs the same code by hand.
"""

from datetime import time

from django.utils.translation import gettext_lazy as _

from firstline.consultations.tasks import consultations_tick
from firstline.core.scheduler import Daily, Every, Job
from firstline.core.tasks import partitions_ahead, purge_job_runs, purge_task_progress
from firstline.health.tasks import health_tick
from firstline.market.tasks import market_tick
from firstline.publishing.tasks import (
    publishing_reading_fold,
    publishing_scheduled,
    publishing_search_compact,
)
from firstline.reports.tasks import reports_deliver, reports_tick
from firstline.sanitation.tasks import sanitation_tick
from firstline.supplies.tasks import supplies_verify
from firstline.surveys.tasks import purge_survey_exports
from firstline.training.tasks import training_tick
from firstline.volunteers.tasks import volunteers_tick

JOBS = [
    Job(
        "health_tick",
        health_tick,
        Every(minutes=5),
        _("隔离打卡漏报告警；今天和昨天的健康统计"),
    ),
    Job(
        "sanitation_tick",
        sanitation_tick,
        Every(minutes=5),
        _("生成今天和明天的消杀任务；超时告警"),
    ),
    Job(
        "reports_tick",
        reports_tick,
        Every(minutes=5),
        _("预填今天和昨天的日报草稿"),
    ),
    Job(
        "reports_deliver",
        reports_deliver,
        Every(minutes=1),
        _("推送到期的日报 Webhook（失败按退避重试）"),
    ),
    Job(
        "publishing_scheduled",
        publishing_scheduled,
        Every(minutes=1),
        _("发布到期的定时发布页面，下线过期页面（Wagtail publish_scheduled）"),
    ),
    Job(
        "publishing_reading_fold",
        publishing_reading_fold,
        Daily(time(0, 30)),
        _("知识库阅读统计：前一天的读者标记计入日统计后删除"),
    ),
    Job(
        "publishing_search_compact",
        publishing_search_compact,
        Daily(time(1, 30)),
        _("知识库搜索索引夜间整理（逐条写入的索引会变得零散、变慢）"),
    ),
    Job(
        "partitions_ahead",
        partitions_ahead,
        Daily(time(2, 40)),
        _("PostgreSQL：提前建好本月及之后三个月的分区（门岗记录、隔离体温检测）"),
    ),
    Job(
        "purge_health_data",
        "firstline.health.services.purge.purge_health_data",
        Daily(time(3, 0)),
        _("删除超过保存期限的健康数据（保留每日统计）"),
    ),
    Job(
        "purge_gate_data",
        "firstline.access.services.retention.purge_gate_data",
        Daily(time(3, 20)),
        _("删除超过保存期限的门岗记录、访客和快递"),
    ),
    Job(
        "supplies_verify",
        supplies_verify,
        Daily(time(4, 0)),
        _("核验物资台账哈希链并对账余额"),
    ),
    Job(
        "volunteers_tick",
        volunteers_tick,
        Every(minutes=5),
        _("保障任务超时告警；志愿者与在岗人员的每日数据"),
    ),
    Job(
        "consultations_tick",
        consultations_tick,
        Every(minutes=5),
        _("咨询首次答复与办结超时标记，提醒咨询台和专家"),
    ),
    Job(
        "training_tick",
        training_tick,
        Every(minutes=15),
        _("直播课开课前一天提醒已报名学员（每人一次）"),
    ),
    Job(
        "market_tick",
        market_tick,
        Every(minutes=5),
        _("助农团购到期截单并向供应商下采购单"),
    ),
    Job(
        "surveys_remind",
        "firstline.surveys.services.distribution.remind_due",
        Daily(time(9, 0)),
        _("按问卷设置的间隔，提醒尚未提交企业问卷的会员企业"),
    ),
    Job(
        "purge_task_progress",
        purge_task_progress,
        Daily(time(4, 30)),
        _("删除 30 天前已结束的后台任务进度"),
    ),
    Job(
        "purge_survey_exports",
        purge_survey_exports,
        Every(minutes=60),
        _("删除超过 24 小时的问卷导出文件"),
    ),
    Job(
        "purge_job_runs",
        purge_job_runs,
        Daily(time(4, 40)),
        _("删除 30 天前的定时作业运行记录"),
    ),
]
