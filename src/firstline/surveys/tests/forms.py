"""XLSForm workbooks for the tests, and surveys made from them."""

from __future__ import annotations

import io

from django.utils import timezone
from openpyxl import Workbook

from firstline.surveys.models import Survey
from firstline.surveys.services import surveys

SURVEY = [
    [
        "type",
        "name",
        "label::中文 (zh)",
        "label::English (en)",
        "required",
        "relevant",
        "constraint",
        "calculation",
    ],
    ["begin_group", "basics", "基本情况", "Basics"],
    ["select_one yn", "closed", "小区是否实行封闭管理？", "Closed management?", "yes"],
    [
        "integer",
        "gates",
        "保留出入口数量（个）",
        "Gates kept open (count)",
        "yes",
        "${closed} = 'yes'",
        ". >= 0 and . < 100",
    ],
    ["select_one level", "impact", "疫情对经营的影响", "Impact on business", "yes"],
    ["end_group", "basics"],
    ["begin_group", "costs", "成本", "Costs"],
    ["decimal", "extra_cost", "新增防疫成本（万元）", "Extra cost (10k yuan)", "", "", ". >= 0"],
    ["select_multiple needs", "needs", "最需要的支持", "Support needed"],
    ["text", "why_not", "为什么没有封闭？", "Why not closed?", "", "${closed} = 'no'"],
    ["calculate", "cost_yuan", "", "", "", "", "", "${extra_cost} * 10000"],
    ["text", "remarks", "其他意见", "Remarks"],
    ["end_group", "costs"],
]
CHOICES = [
    ["list_name", "name", "label::中文 (zh)", "label::English (en)"],
    ["yn", "yes", "是", "Yes"],
    ["yn", "no", "否", "No"],
    ["level", "low", "较小", "Low"],
    ["level", "mid", "一般", "Medium"],
    ["level", "high", "严重", "High"],
    ["needs", "tax", "减税", "Tax relief"],
    ["needs", "subsidy", "补贴", "Subsidy"],
    ["needs", "ppe", "防护物资", "PPE"],
]
SETTINGS = [["form_title", "form_id", "version"], ["物业企业疫情影响调查", "impact_2020", "1"]]


def workbook(survey=SURVEY, choices=CHOICES, settings=SETTINGS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices:
        c = book.create_sheet("choices")
        for row in choices:
            c.append(row)
    if settings:
        s = book.create_sheet("settings")
        for row in settings:
            s.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def survey_of(
    world, *, audience="companies", open_=True, data: bytes | None = None, association=None
) -> Survey:
    survey = surveys.survey_create(
        actor=None,
        association_id=(association or world.association).pk,
        data=data or workbook(),
        filename="impact.xlsx",
        audience=audience,
    )
    if open_:
        surveys.survey_open(actor=None, survey=survey)
        survey.refresh_from_db()
    return survey


def closed_survey(world, **kwargs) -> Survey:
    survey = survey_of(world, **kwargs)
    surveys.survey_close(actor=None, survey=survey)
    survey.refresh_from_db()
    assert survey.state == Survey.State.CLOSED
    assert not survey.accepting(timezone.now())
    return survey
