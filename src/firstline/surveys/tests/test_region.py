"""Region pickers: `select_one fl_district` / `fl_street` / `fl_community` (reserved
list names) pick a division of that level under the association's own division,
shown as a plain select grouped by the parent division (no script), checked (a
division of the list only), counted like a single choice, exported with the
division's code (SPSS: value labels with the names), written back to XLSForm
without the divisions on its choices sheet."""

from __future__ import annotations

import io
import tempfile

import pyreadstat
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from firstline.surveys.models import Question, Response
from firstline.surveys.selectors import results
from firstline.surveys.services import exporting, spss, surveys, xlsform
from firstline.surveys.tests.forms import CHOICES, SETTINGS, survey_of, workbook

pytestmark = pytest.mark.django_db

HEAD = ["type", "name", "label::中文 (zh)", "label::English (en)", "required"]
FORM = [
    HEAD,
    ["select_one yn", "closed", "小区是否实行封闭管理？", "Closed?", "yes"],
    ["select_one fl_district", "district", "所在区", "District", "yes"],
    ["select_one fl_street", "street", "所在街道", "Street"],
]


def test_the_choices_are_the_divisions_under_the_association(world):
    survey = survey_of(world, audience="owners", data=workbook(FORM, CHOICES, SETTINGS))
    by_name = {q.name: q for q in Question.all_tenants.filter(survey=survey)}
    district, street = by_name["district"], by_name["street"]
    assert district.type == street.type == Question.Type.REGION
    assert [c["name"] for c in district.choices] == ["420103", "420106"]
    assert [(c["label"], c["group"]) for c in street.choices] == [
        ("民族街道", "江汉区"),
        ("积玉桥街道", "武昌区"),
        ("中华路街道", "武昌区"),
    ]
    # An association placed in 江汉区 picks among its streets only.
    world.association.division = world.divisions["420103"]
    world.association.save(update_fields=["division"])
    local = survey_of(
        world, audience="owners", data=workbook(FORM[:1] + FORM[3:], CHOICES, SETTINGS)
    )
    only = Question.all_tenants.get(survey=local, name="street")
    assert [c["name"] for c in only.choices] == ["420103001"]


def test_a_multiple_region_choice_is_named_with_its_row():
    rows = [HEAD, ["select_multiple fl_district", "d", "区"]]
    with pytest.raises(ValidationError) as caught:
        xlsform.parse(workbook(rows, CHOICES, SETTINGS), regions=lambda used: {})
    assert any("第 2 行" in m and "fl_district" in m for m in caught.value.messages)


def test_a_picker_with_nothing_to_pick_is_refused():
    rows = [HEAD, ["select_one fl_community", "c", "社区"]]
    with pytest.raises(ValidationError) as caught:
        xlsform.parse(workbook(rows, CHOICES, SETTINGS), regions=lambda used: {})
    assert any("fl_community" in m for m in caught.value.messages)


def test_picked_on_the_page_checked_counted_and_exported(client, world):
    survey = survey_of(world, audience="owners", data=workbook(FORM, CHOICES, SETTINGS))
    url = reverse("surveys:public", args=[survey.token])
    assert client.post(url, {"phone": "13800138000"}).status_code == 302
    page = client.get(url).content.decode()
    select = page.split('data-testid="region-street"')[1].split("</select>")[0]
    assert '<optgroup label="武昌区">' in select and 'value="420106002"' in select
    wrong = client.post(url, {"page": 0, "closed": "yes", "district": "110101", "next": "1"})
    assert "请选择列出的选项。" in wrong.content.decode()
    done = client.post(
        url, {"page": 0, "closed": "yes", "district": "420106", "street": "420106002", "next": "1"}
    )
    assert done.status_code == 302
    response = Response.all_tenants.get(survey=survey)
    assert response.answers == {"closed": "yes", "district": "420106", "street": "420106002"}
    questions = list(Question.all_tenants.filter(survey=survey).order_by("position"))
    by_name = {q.name: q for q in questions}
    rows = Response.all_tenants.filter(survey=survey)
    figures = results.question_figures(by_name["district"], rows, research=True)
    assert [(r["label"], r["count"]) for r in figures.rows] == [("江汉区", 0), ("武昌区", 1)]
    labelled = next(exporting.rows(rows, questions, labels=True))
    assert labelled[len(exporting.META) + 1 :] == ["武昌区", "中华路街道"]
    with tempfile.NamedTemporaryFile(suffix=".sav") as f:
        spss.sav_write(f.name, rows, questions)
        frame, meta = pyreadstat.read_sav(f.name, output_format="polars")
    assert frame["district"].to_list() == [420106]  # a district's own code
    assert meta.variable_value_labels["district"][420106.0] == "武昌区"
    assert meta.variable_value_labels["street"][3.0] == "中华路街道"  # 9 digits: numbered
    out = io.BytesIO()
    xlsform.write(survey, questions, out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    types = [row[0] for row in book["survey"].iter_rows(min_row=2, values_only=True)]
    assert "select_one fl_district" in types and "select_one fl_street" in types
    lists = {row[0] for row in book["choices"].iter_rows(min_row=2, values_only=True)}
    assert lists == {"yn"}
    again = xlsform.parse(out.getvalue(), regions=surveys.region_choices(survey.association_id))
    assert {q["name"]: q["type"] for q in again.questions}["street"] == "region"
