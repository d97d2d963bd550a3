"""XLSForm in (pyxform): a good form becomes questions with sections, skip logic,
constraints and computed values; a form with unsupported features is refused with
each one named by its row, and nothing is saved; a survey goes back out as XLSForm
and reads in again the same."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from firstline.surveys.models import Question, Survey
from firstline.surveys.services import expressions, surveys, xlsform
from firstline.surveys.tests.forms import CHOICES, SURVEY, survey_of, workbook

pytestmark = pytest.mark.django_db


def test_good_form_becomes_questions(world):
    survey = survey_of(world, open_=False)
    assert survey.title == "物业企业疫情影响调查"
    assert survey.state == Survey.State.DRAFT
    qs = {q.name: q for q in Question.all_tenants.filter(survey=survey)}
    assert list(qs) == [
        "closed",
        "gates",
        "impact",
        "extra_cost",
        "needs",
        "why_not",
        "cost_yuan",
        "remarks",
    ]
    assert qs["closed"].type == "select_one" and qs["closed"].required
    assert [c["name"] for c in qs["closed"].choices] == ["yes", "no"]
    assert qs["closed"].choices[0]["label"] == "是" and qs["closed"].choices[0]["label_en"] == "Yes"
    assert qs["gates"].relevant == "${closed} = 'yes'"
    assert qs["gates"].label == "保留出入口数量（个）"
    assert qs["gates"].label_en == "Gates kept open (count)"
    assert qs["gates"].constraint == ". >= 0 and . < 100"
    assert qs["needs"].type == "select_multiple"
    assert qs["cost_yuan"].type == "calculate" and qs["cost_yuan"].calculation
    assert qs["closed"].section == "basics" and qs["closed"].section_label == "基本情况"
    assert qs["remarks"].section == "costs"


def test_unsupported_features_are_named_by_row_and_nothing_is_saved(world):
    rows = [
        *SURVEY[:3],
        ["geopoint", "where", "位置", "Where"],  # row 4
        ["begin_repeat", "staff", "员工", "Staff"],  # row 5
        ["text", "n", "姓名", "Name"],
        ["end_repeat"],
        ["select_one yn", "q2", "问题", "Q", "", "pulldata('x', 'y', 'z', 'w')"],  # row 8
        ["select_one yn", "q3", "问题", "Q", "", "${nope} = 'yes'"],  # row 9
        *SURVEY[3:],
    ]
    rows[0] = [*rows[0]]
    before = Survey.all_tenants.count()
    with pytest.raises(ValidationError) as caught:
        surveys.survey_create(
            actor=None,
            association_id=world.association.pk,
            data=workbook(survey=rows),
            filename="bad.xlsx",
            audience="owners",
        )
    text = " ".join(caught.value.messages)
    assert "第 4 行" in text and "geopoint" in text
    assert "第 5 行" in text and "repeat" in text
    assert Survey.all_tenants.count() == before


def test_unsupported_expression_and_unknown_reference_named_by_row(world):
    rows = [
        *SURVEY[:3],
        ["select_one yn", "q2", "问题", "Q", "", "pulldata('x', 'y')"],  # row 4
        ["select_one yn", "q3", "问题", "Q", "", "${nope} = 'yes'"],  # row 5
        *SURVEY[3:],
    ]
    with pytest.raises(ValidationError) as caught:
        xlsform.parse(workbook(survey=rows))
    text = " ".join(caught.value.messages)
    assert "第 4 行" in text and "pulldata" in text
    assert "第 5 行" in text and "nope" in text


def test_unsupported_column_is_named(world):
    rows = [[*SURVEY[0], "choice_filter"], *SURVEY[1:3], [*SURVEY[3], "", "x = 1"]]
    rows = [*rows, *SURVEY[4:]]
    rows[3] = [*SURVEY[3], "", "", "", "", "", "", "", "", "x = 1"][: len(rows[0])]
    rows[3][len(rows[0]) - 1] = "x = 1"
    with pytest.raises(ValidationError) as caught:
        xlsform.parse(workbook(survey=rows))
    assert "第 4 行" in " ".join(caught.value.messages)
    assert "choice_filter" in " ".join(caught.value.messages)


def test_pyxform_errors_are_refused():
    rows = [SURVEY[0], ["select_one missing", "q", "问题"]]
    with pytest.raises(ValidationError):
        xlsform.parse(workbook(survey=rows, choices=CHOICES))
    with pytest.raises(ValidationError):
        xlsform.parse(b"not a workbook")


def test_export_reads_back_the_same(world):
    survey = survey_of(world, open_=False)
    questions = list(Question.all_tenants.filter(survey=survey))
    out = io.BytesIO()
    xlsform.write(survey, questions, out)
    parsed = xlsform.parse(out.getvalue())
    again = {q["name"]: q for q in parsed.questions}
    for q in questions:
        other = again[q.name]
        for field in ("type", "label", "label_en", "required", "relevant", "constraint", "section"):
            assert other[field] == getattr(q, field), (q.name, field)
        assert [c["name"] for c in other["choices"]] == [c["name"] for c in q.choices]


def test_questions_cannot_change_once_answered(world):
    from firstline.surveys.services import responses

    survey = survey_of(world)
    responses.response_submit(
        actor=None, survey=survey, raw={"closed": "no", "impact": "low"}, company=world.a.company
    )
    with pytest.raises(ValidationError):
        surveys.survey_replace_questions(
            actor=None, survey=survey, data=workbook(), filename="x.xlsx"
        )
    new = surveys.survey_new_version(actor=None, survey=survey, data=workbook(), filename="x.xlsx")
    assert new.version == 2 and new.previous_id == survey.pk


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("${q} = 'yes'", {"q": "yes"}, True),
        ("${q} = 'yes'", {}, False),
        ("${n} > 3", {"n": 4}, True),
        ("${n} > 3", {}, False),
        ("selected(${m}, 'x')", {"m": ["x", "y"]}, True),
        ("selected(${m}, 'z')", {"m": ["x", "y"]}, False),
        ("not(${q} = 'no') and ${n} >= 2", {"q": "yes", "n": 2}, True),
        ("${q} = 'no' or ${n} < 2", {"q": "yes", "n": 2}, False),
        ("count-selected(${m}) = 2", {"m": ["x", "y"]}, True),
        ("${a} + ${b} * 2 = 7", {"a": 1, "b": 3}, True),
    ],
)
def test_expressions(text, values, expected):
    assert expressions.truth(text, values) is expected


@pytest.mark.parametrize(
    "text", ["__import__('os')", "${a} = ", "pulldata('a')", "${a}.b", "1; 2", "lambda"]
)
def test_expressions_outside_the_subset_are_refused(text):
    with pytest.raises(expressions.ExpressionError):
        expressions.parse(text)
