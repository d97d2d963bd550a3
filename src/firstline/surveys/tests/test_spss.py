"""The SPSS export: the .sav read back by pyreadstat holds one row per response,
codes with the choices as value labels, the questions' labels, one 0/1 variable per
option of a multiple choice, numbers as numbers and dates as dates."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pyreadstat
import pytest
from django.urls import reverse

from firstline.core.models import AuditEvent
from firstline.surveys.models import Question, Response
from firstline.surveys.services import spss
from firstline.surveys.tests.forms import CHOICES, SETTINGS, SURVEY, survey_of, workbook
from firstline.surveys.tests.rows import answered_survey
from firstline.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


def _read(data: bytes):
    with tempfile.NamedTemporaryFile(suffix=".sav") as f:
        f.write(data)
        f.flush()
        return pyreadstat.read_sav(f.name, output_format="polars")


def _write(survey):
    questions = list(Question.all_tenants.filter(survey=survey).order_by("position"))
    responses = Response.all_tenants.filter(survey=survey)
    with tempfile.NamedTemporaryFile(suffix=".sav") as f:
        advanced = []
        count = spss.sav_write(f.name, responses, questions, chunk=5, advance=advanced.append)
        frame, meta = pyreadstat.read_sav(f.name, output_format="polars")
    return count, advanced, frame, meta


def test_sav_has_labels_codes_and_one_flag_per_option(world):
    survey = answered_survey(world)
    count, advanced, frame, meta = _write(survey)
    assert count == 16 and sum(advanced) == 16 and advanced[0] == 5
    assert list(frame.columns) == [
        "response_id",
        "submitted_at",
        "district_code",
        "site_type",
        "size_band",
        "closed",
        "gates",
        "impact",
        "extra_cost",
        "needs_tax",
        "needs_subsidy",
        "needs_ppe",
        "why_not",
        "cost_yuan",
        "remarks",
    ]
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["closed"] == "小区是否实行封闭管理？"
    assert labels["needs_tax"] == "最需要的支持：减税"
    assert labels["submitted_at"] == "提交时间"
    assert meta.variable_value_labels["closed"] == {1.0: "是", 2.0: "否"}
    assert meta.variable_value_labels["impact"] == {1.0: "较小", 2.0: "一般", 3.0: "严重"}
    assert meta.variable_value_labels["needs_ppe"] == {0.0: "未选", 1.0: "选中"}
    first = frame.row(0, named=True)  # ("yes", "high", ["tax"], "420103") in rows.DATA
    assert first["closed"] == 1 and first["impact"] == 3 and first["gates"] == 1
    assert (first["needs_tax"], first["needs_subsidy"], first["needs_ppe"]) == (1, 0, 0)
    assert first["district_code"] == "420103" and first["remarks"] == "意见1"
    seventh = frame.row(6, named=True)  # ("yes", "low", ["tax", "subsidy"])
    assert (seventh["needs_tax"], seventh["needs_subsidy"], seventh["needs_ppe"]) == (1, 1, 0)
    last = frame.row(15, named=True)  # ("no", "mid", []): needs not answered, gates skipped
    assert last["needs_tax"] is None and last["gates"] is None
    assert last["why_not"] == ""  # SPSS has no missing text: empty
    assert last["closed"] == 2 and last["impact"] == 2
    assert frame["closed"].to_list().count(1.0) == 8 and frame["closed"].to_list().count(2.0) == 8
    assert frame["needs_tax"].sum() == 8 and frame["needs_ppe"].null_count() == 1
    assert meta.readstat_variable_types["gates"] == "double"
    assert meta.readstat_variable_types["remarks"] == "string"
    assert meta.original_variable_types["submitted_at"].startswith("DATETIME")


def test_dates_are_dates_and_numbered_choices_keep_their_numbers(world):
    survey_rows = [
        *SURVEY[:-2],
        ["date", "reopened", "复工日期", "Reopened on"],
        ["select_one stars", "rating", "满意度", "Rating"],
        SURVEY[-1],
    ]
    choices = [*CHOICES, *([["stars", str(n), f"{n} 星", f"{n} stars"] for n in (1, 3, 5)])]
    survey = survey_of(world, data=workbook(survey_rows, choices, SETTINGS), audience="owners")
    Response.all_tenants.bulk_create(
        Response(
            association_id=world.association.pk,
            survey=survey,
            phone_digest=f"p{n}",
            answers={"closed": "no", "impact": "low", "reopened": day, "rating": stars},
        )
        for n, (day, stars) in enumerate([("2020-03-16", "5"), ("2020-04-08", "3")])
    )
    _count, _advanced, frame, meta = _write(survey)
    assert frame["reopened"].to_list() == [date(2020, 3, 16), date(2020, 4, 8)]
    assert meta.original_variable_types["reopened"].startswith("DATE")
    assert frame["rating"].to_list() == [5.0, 3.0]
    assert meta.variable_value_labels["rating"] == {1.0: "1 星", 3.0: "3 星", 5.0: "5 星"}


def test_variable_names_are_valid_and_unique():
    taken: set[str] = set()
    assert spss.spss_name("needs_tax", taken) == "needs_tax"
    assert spss.spss_name("NEEDS_TAX", taken) == "NEEDS_TAX_2"
    assert spss.spss_name("1st-choice", taken) == "v_1st_choice"
    assert len(spss.spss_name("x" * 80, taken)) == 64


def test_sav_export_from_the_results_page(client, world):
    survey = answered_survey(world)
    client.login(username=world.users["association_admin"].username, password=PASSWORD)
    url = reverse("surveys:survey_export", args=[survey.pk])
    response = client.get(url, {"format": "sav", "district_code": "420106"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.sav"')
    frame, _meta = _read(b"".join(response.streaming_content))
    assert frame.height == 9  # the filter applies: 2 + 7 responses in 420106
    assert set(frame["district_code"].to_list()) == {"420106"}
    event = AuditEvent.objects.get(action="surveys.response_export")
    assert event.changes["format"] == "sav"


def test_the_streamed_rows_are_the_bytes_pyreadstat_writes_for_the_whole_frame(world):
    """The rows are appended by us in SPSS's row compression: they must be exactly what
    ReadStat writes for the same frame (whole numbers in and out of the short codes,
    missing cells, a very long text cut into 255-byte segments, multi-byte text). Every
    numeric column has a value somewhere: pyreadstat would make an all-missing column
    of the frame read back a text one."""
    survey = answered_survey(world)
    extra = [
        {"closed": "yes", "gates": 151, "impact": "low", "extra_cost": -99, "remarks": "长" * 400},
        {"closed": "yes", "gates": 152, "impact": "mid", "extra_cost": 2.5, "cost_yuan": 25000},
        {"closed": "no", "impact": "high", "extra_cost": -100, "remarks": "        tail"},
        {"closed": "no", "impact": "low", "why_not": "x" * 252, "remarks": "x" * 255},
        {"closed": "no", "impact": "high", "extra_cost": 1e9, "remarks": "y" * 505},
    ]
    Response.all_tenants.bulk_create(
        Response(
            association_id=world.association.pk,
            survey=survey,
            phone_digest=f"x{n}",
            answers=answers,
            district_code="420102",
        )
        for n, answers in enumerate(extra)
    )
    count, _advanced, frame, _meta = _write(survey)
    assert count == 21 and frame.height == 21
    assert frame["remarks"].to_list()[16] == "长" * 400  # 1,200 bytes: five segments
    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs = f"{tmp}/ours.sav", f"{tmp}/theirs.sav"
        questions = list(Question.all_tenants.filter(survey=survey).order_by("position"))
        spss.sav_write(ours, Response.all_tenants.filter(survey=survey), questions)
        pyreadstat.write_sav(frame, theirs, row_compress=True)
        ours_bytes, theirs_bytes = (Path(p).read_bytes() for p in (ours, theirs))
    assert ours_bytes[80:84] == theirs_bytes[80:84]  # the row count in the header
    assert (
        ours_bytes[spss.data_start(ours_bytes) :] == theirs_bytes[spss.data_start(theirs_bytes) :]
    )


def test_no_responses_still_makes_a_readable_file(world):
    survey = survey_of(world, audience="owners")
    count, _advanced, frame, meta = _write(survey)
    assert count == 0 and frame.height == 0
    assert "closed" in meta.column_names
