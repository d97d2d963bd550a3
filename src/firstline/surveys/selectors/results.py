"""The figures of a survey: counts and percentages per question, a crosstab of any
two choice questions, free-text answers, each over the responses of the caller's
scope and the chosen filters (district, site type, company size band).

Each question's counts are one grouped query over one JSON key (PostgreSQL:
`answers->>'q'`, SQLite: `json_extract`); a crosstab is one grouped query over two.
A multiple choice is stored as a list: the query groups by the list's text (a
handful of distinct combinations) and the combinations are split here. Outside the
association's research group a cell under 5 shows as "<5" (core.personal.aggregates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db.models import Avg, Count, FloatField, Max, Min, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from firstline.core.personal.aggregates import suppress
from firstline.surveys.models import Question

RESEARCH = "surveys.view_research"
FILTERS = ("district_code", "site_type", "size_band")


def filtered(responses, filters: dict | None):
    """The responses narrowed by the filters the results offer (plain columns)."""
    for name in FILTERS:
        value = (filters or {}).get(name) or ""
        if value:
            responses = responses.filter(**{name: str(value)[:16]})
    return responses


def _codes(value) -> list[str]:
    """The codes a stored value holds: one for a single choice, many for a list."""
    if value in (None, ""):
        return []
    if isinstance(value, str) and value.startswith("["):
        try:
            return [str(v) for v in json.loads(value)]
        except ValueError:
            return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


@dataclass
class QuestionFigures:
    question: Question
    answered: int = 0
    rows: list[dict] = field(default_factory=list)  # choices: code, label, count, percent
    stats: dict = field(default_factory=dict)  # numbers: count, mean, min, max


def _shown(count: int, total: int, research: bool) -> tuple:
    if research:
        return count, round(count * 100 / total, 1) if total else 0.0
    shown = suppress(count)
    if isinstance(shown, str):
        return shown, None
    return shown, round(count * 100 / total, 1) if total else 0.0


def question_figures(question: Question, responses, *, research: bool) -> QuestionFigures:
    key = f"answers__{question.name}"
    figures = QuestionFigures(question)
    if question.is_choice:
        counts: dict[str, int] = {}
        answered = 0
        grouped = (
            responses.annotate(v=KT(key))
            .exclude(v__isnull=True)
            .values("v")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in grouped:
            codes = _codes(row["v"])
            if not codes:
                continue
            answered += row["n"]
            for code in codes:
                counts[code] = counts.get(code, 0) + row["n"]
        figures.answered = answered
        for choice in question.choices:
            count = counts.get(choice["name"], 0)
            shown, percent = _shown(count, answered, research)
            figures.rows.append(
                {
                    "code": choice["name"],
                    "label": choice.get("label") or choice["name"],
                    "label_en": choice.get("label_en", ""),
                    "count": shown,
                    "percent": percent,
                    "raw": count if research else None,
                }
            )
    elif question.type in (Question.Type.INTEGER, Question.Type.DECIMAL, Question.Type.CALCULATE):
        stats = (
            responses.annotate(v=Cast(KT(key), FloatField()))
            .exclude(v__isnull=True)
            .aggregate(n=Count("v"), mean=Avg("v"), low=Min("v"), high=Max("v"))
        )
        figures.answered = stats["n"] or 0
        small = not research and figures.answered < 5
        figures.stats = {
            "count": suppress(figures.answered) if not research else figures.answered,
            "mean": None if small or stats["mean"] is None else round(stats["mean"], 2),
            "min": None if small else stats["low"],
            "max": None if small else stats["high"],
        }
    else:
        figures.answered = (
            responses.annotate(v=Cast(KT(key), TextField()))
            .exclude(v__isnull=True)
            .exclude(v="")
            .count()
        )
    return figures


def survey_figures(survey, responses, questions, *, research: bool) -> dict:
    total = responses.count()
    return {
        "total": total if research else suppress(total),
        "questions": [
            question_figures(q, responses, research=research)
            for q in questions
            if q.type != Question.Type.NOTE
        ],
    }


@dataclass
class Crosstab:
    rows: Question
    cols: Question
    cells: list[list] = field(default_factory=list)  # [row label, count per col …, total]
    col_totals: list = field(default_factory=list)
    total: int | str = 0


def crosstab(responses, rows: Question, cols: Question, *, research: bool) -> Crosstab:
    """Counts of every pair of answers of two choice questions: one grouped query."""
    grouped = (
        responses.annotate(a=KT(f"answers__{rows.name}"), b=KT(f"answers__{cols.name}"))
        .exclude(a__isnull=True)
        .exclude(b__isnull=True)
        .values("a", "b")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[tuple[str, str], int] = {}
    total = 0
    for row in grouped:
        total += row["n"]
        for a in _codes(row["a"]):
            for b in _codes(row["b"]):
                counts[a, b] = counts.get((a, b), 0) + row["n"]

    def shown(n: int):
        return n if research else suppress(n)

    table = Crosstab(rows, cols, total=shown(total))
    col_sums = {c["name"]: 0 for c in cols.choices}
    for r in rows.choices:
        line = [r.get("label") or r["name"]]
        row_sum = 0
        for c in cols.choices:
            n = counts.get((r["name"], c["name"]), 0)
            row_sum += n
            col_sums[c["name"]] += n
            line.append(shown(n))
        line.append(shown(row_sum))
        table.cells.append(line)
    table.col_totals = [shown(col_sums[c["name"]]) for c in cols.choices]
    return table


def crosstab_raw(responses, rows: Question, cols: Question) -> dict:
    """The crosstab's exact counts by code pair (the research group's, the API's)."""
    table = crosstab(responses, rows, cols, research=True)
    out = {}
    for r, line in zip(rows.choices, table.cells, strict=True):
        for c, n in zip(cols.choices, line[1:-1], strict=True):
            out[f"{r['name']}|{c['name']}"] = n
    return out


def texts(responses, question: Question):
    """A text question's answers, newest first (a queryset of (id, text) to page)."""
    key = f"answers__{question.name}"
    return (
        responses.annotate(v=Cast(KT(key), TextField()))
        .exclude(v__isnull=True)
        .exclude(v="")
        .order_by("-submitted_at", "-id")
        .values_list("id", "v")
    )


def completion(responses, companies) -> list[dict]:
    """Per member company: answered or not, and when (a company survey); `responses`
    is the survey's responses in the caller's scope."""
    answered = dict(
        responses.filter(company__isnull=False, phone_digest="").values_list(
            "company_id", "submitted_at"
        )
    )
    return [{"company": company, "submitted_at": answered.get(company.pk)} for company in companies]


def with_counts(surveys):
    """Surveys with their number of responses (grouped in the same query)."""
    return surveys.annotate(response_count=Count("responses"))


def member_company_ids(survey):
    """The companies asked by a company survey: the association's members."""
    from firstline.orgs.models import Membership

    return Membership.objects.filter(association_id=survey.association_id).values("company_id")


def chart_data(figures: dict) -> list[dict]:
    """Per choice question an ECharts option (a bar per choice), drawn by app.js from
    the JSON beside its <div data-chart> (CSP: no inline script). A suppressed cell
    draws as 0."""
    out = []
    for f in figures["questions"]:
        if not f.rows:
            continue
        out.append(
            {
                "element_id": f"chart-{f.question.name}",
                "option": {
                    "grid": {"left": 8, "right": 8, "top": 8, "bottom": 8, "containLabel": True},
                    "xAxis": {"type": "value"},
                    "yAxis": {"type": "category", "data": [r["label"] for r in f.rows]},
                    "series": [
                        {
                            "type": "bar",
                            "data": [
                                r["count"] if isinstance(r["count"], int) else 0 for r in f.rows
                            ],
                        }
                    ],
                },
            }
        )
    return out
