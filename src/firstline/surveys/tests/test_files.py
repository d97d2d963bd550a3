"""File and image questions: uploaded on the phone page (a plain file input, no
script), checked by size and by content (not the name alone), kept in the private
storage, listed in the results with a link, served to the results' readers only,
their address in the exports (CSV, XLSX, SPSS), and written back to XLSForm."""

from __future__ import annotations

import csv
import io
import tempfile

import pyreadstat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from firstline.orgs.models import Association
from firstline.surveys.models import Question, Response
from firstline.surveys.services import exporting, responses, spss, uploads, xlsform
from firstline.surveys.tests.forms import CHOICES, SETTINGS, survey_of, workbook
from firstline.testing.world import PASSWORD, make_user

pytestmark = pytest.mark.django_db

HEAD = ["type", "name", "label::中文 (zh)", "label::English (en)", "required"]
FORM = [
    HEAD,
    ["select_one yn", "closed", "小区是否实行封闭管理？", "Closed?", "yes"],
    ["image", "photo", "门岗照片", "Gate photo", "yes"],
    ["file", "plan", "防控方案", "Plan"],
]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    return tmp_path


def _survey(world):
    return survey_of(world, audience="owners", data=workbook(FORM, CHOICES, SETTINGS))


def _answer(client, survey, photo, plan=None):
    url = reverse("surveys:public", args=[survey.token])
    assert client.post(url, {"phone": "13800138000"}).status_code == 302
    data = {"page": 0, "closed": "yes", "next": "1", "photo": photo}
    if plan is not None:
        data["plan"] = plan
    return url, client.post(url, data)


def test_types_are_read_and_written_back(world):
    survey = _survey(world)
    by_name = {q.name: q for q in Question.all_tenants.filter(survey=survey)}
    assert (by_name["photo"].type, by_name["plan"].type) == ("image", "file")
    out = io.BytesIO()
    xlsform.write(survey, list(Question.all_tenants.filter(survey=survey)), out)
    types = [r[0] for r in load_workbook(out)["survey"].iter_rows(min_row=2, values_only=True)]
    assert "image" in types and "file" in types


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("photo.exe", PNG, "只能上传"),
        ("photo.png", b"MZ not an image at all", "不符"),
        ("photo.pdf", PDF, "只能上传"),  # an image question takes images only
        ("photo.png", b"", "空"),
    ],
)
def test_a_wrong_file_is_refused_on_its_question(client, world, storage, name, content, error):
    survey = _survey(world)
    _url, page = _answer(client, survey, SimpleUploadedFile(name, content))
    assert page.status_code == 200
    shown = page.content.decode().split('data-question="photo"')[1].split("</fieldset>")[0]
    assert error in shown
    assert not Response.all_tenants.filter(survey=survey).exists()
    assert not list(storage.rglob("*.*"))


def test_a_file_too_large_is_refused(client, world, storage, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_BYTES", 32)
    survey = _survey(world)
    _url, page = _answer(client, survey, SimpleUploadedFile("p.png", PNG))
    assert "不能超过" in page.content.decode()


def test_a_path_not_uploaded_is_not_an_answer(world):
    survey = _survey(world)
    photo = Question.all_tenants.get(survey=survey, name="photo")
    for forged in ("surveys/999/files/x/a.png", f"surveys/{survey.pk}/files/../../etc/passwd"):
        with pytest.raises(Exception, match="上传"):
            responses.coerce(photo, forged)


def test_a_file_is_served_to_results_readers_only(client, world, storage):
    survey = _survey(world)
    _url, done = _answer(
        client, survey, SimpleUploadedFile("门岗.png", PNG), SimpleUploadedFile("plan.pdf", PDF)
    )
    assert done.status_code == 302, done.content.decode()[:500]
    answers = Response.all_tenants.get(survey=survey).answers
    photo = answers["photo"]
    assert photo.startswith(f"surveys/{survey.pk}/files/") and photo.endswith(".png")
    assert (storage / photo).read_bytes() == PNG
    client.logout()
    admin = world.users["association_admin"]
    assert client.login(username=admin.username, password=PASSWORD)
    listing = client.get(
        reverse("surveys:survey_results", args=[survey.pk]), {"text": "photo"}
    ).content.decode()
    assert f'href="/{photo}"' in listing
    got = client.get(f"/{photo}")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG
    token = photo.split("/")[3]
    forged = reverse("surveys:response_file", args=[survey.pk, token, "other.png"])
    assert client.get(forged).status_code == 404
    client.logout()
    other = Association.objects.create(name="另一协会", short_name="另协")
    assert client.login(
        username=make_user("outsider", "association_admin", association=other).username,
        password=PASSWORD,
    )
    assert client.get(f"/{photo}").status_code == 404
    client.logout()
    assert client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    assert client.get(f"/{photo}").status_code in (403, 404)


def test_exports_carry_the_files_address(client, world, storage, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://firstline.example"
    survey = _survey(world)
    _answer(client, survey, SimpleUploadedFile("gate.png", PNG))
    photo = Response.all_tenants.get(survey=survey).answers["photo"]
    address = f"https://firstline.example/{photo}"
    questions = list(Question.all_tenants.filter(survey=survey).order_by("position"))
    rows = Response.all_tenants.filter(survey=survey)
    assert next(exporting.rows(rows, questions, labels=False))[len(exporting.META) + 1] == address
    text = b"".join(
        exporting._csv_stream(rows, questions, labels=True)  # the page's stream
    ).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[1][table[0].index("门岗照片")] == address
    assert table[1][table[0].index("防控方案")] == ""
    with tempfile.NamedTemporaryFile(suffix=".sav") as f:
        spss.sav_write(f.name, rows, questions)
        frame, _meta = pyreadstat.read_sav(f.name, output_format="polars")
    assert frame["photo"].to_list() == [address]
