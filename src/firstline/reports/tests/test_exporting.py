"""Roll-up exports: the workbook opens with openpyxl in the fixed layout (title, the
Chinese labels of FIGURES in model order, rows, total) with the same figures as the
roll-up; the CSV has the same columns with a BOM; every export is audited and needs
reports.export_report."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from firstline.core.models import AuditEvent
from firstline.reports.models import FIGURES, AuditAction, DailyReport
from firstline.reports.tests.test_rollup import DAY, expected, land  # noqa: F401 - the fixture
from firstline.testing.world import PASSWORD

LABELS = [str(DailyReport._meta.get_field(name).verbose_name) for name in FIGURES]


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def workbook(response):
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    return [list(row) for row in load_workbook(io.BytesIO(content), read_only=True).active.values]


def csv_rows(response):
    assert response.status_code == 200
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_district_workbook_has_the_fixed_layout_and_figures(client, world, land):  # noqa: F811
    login(client, world.users["authority_viewer"])
    url = reverse("reports:rollup_export")
    rows = workbook(client.get(url, {"day": DAY.isoformat(), "division": "420103"}))
    assert rows[0][0] == f"江汉区 每日疫情防控信息汇总表 {DAY.isoformat()}"
    header = rows[1]
    assert header[:7] == ["区划", "项目数", "已报送", "按时报送", "逾期报送", "缺报", "待报送"]
    assert header[7 : 7 + len(FIGURES)] == LABELS
    assert header[-1] == "消杀完成率（%）"
    body = {row[0]: row for row in rows[2:]}
    assert set(body) == {"民族街道", "花楼街道", "合计"}
    street2 = body["花楼街道"]
    assert street2[1:3] == [2, 2]
    assert street2[7 : 7 + len(FIGURES)] == [
        expected([land["a3"], land["b2"]])[name] for name in FIGURES
    ]
    total = body["合计"]
    assert total[7 : 7 + len(FIGURES)] == [
        expected([land[k] for k in ("a1", "a2", "a3", "b2")])[name] for name in FIGURES
    ]
    [audit] = AuditEvent.objects.filter(action=AuditAction.ROLLUP_EXPORT)
    assert audit.changes["division"] == "420103" and audit.changes["format"] == "xlsx"
    assert audit.object_type == "geo.division"


def test_site_level_csv_lists_each_report_with_notes(client, world, land):  # noqa: F811
    login(client, world.a.users["company_admin"])
    response = client.get(
        reverse("reports:rollup_export"),
        {"day": DAY.isoformat(), "company": world.a.company.pk, "format": "csv"},
    )
    rows = csv_rows(response)
    assert rows[0][:4] == ["项目", "所属企业", "报送状态", "报送时间"]
    assert rows[0][4 : 4 + len(FIGURES)] == LABELS
    assert rows[0][-2:] == ["情况说明", "需协调解决的问题"]
    by_site = {row[0]: row for row in rows[1:]}
    second = world.a.sibling.site.name  # the world's second site of a: no report
    assert set(by_site) == {"a花园", "a二期", "a水塔苑", second, "合计"}
    a1 = by_site["a花园"]
    assert a1[2] == "按时报送"
    assert a1[4 : 4 + len(FIGURES)] == [str(getattr(land["a1"], name)) for name in FIGURES]
    assert a1[-2:] == ["门岗人手不足", "需要口罩 500 只"]
    assert by_site["a二期"][2] == "逾期报送"
    assert by_site["合计"][2] == "已报送 3 / 4"
    [audit] = AuditEvent.objects.filter(action=AuditAction.ROLLUP_EXPORT)
    assert audit.company_id == world.a.company.pk


def test_site_level_workbook_has_a_title_and_every_site(client, world, land):  # noqa: F811
    login(client, world.users["authority_viewer"])
    rows = workbook(
        client.get(
            reverse("reports:rollup_export"),
            {"day": DAY.isoformat(), "division": "420103002001"},
        )
    )
    assert rows[0][0] == f"水塔社区 每日疫情防控信息汇总表 {DAY.isoformat()}"
    assert [row[0] for row in rows[2:]] == ["a水塔苑", "b花楼里", "合计"]


def test_a_formula_in_notes_is_not_run(client, world, land):  # noqa: F811
    DailyReport.all_tenants.filter(pk=land["a1"].pk).update(notes="=HYPERLINK(1)")
    login(client, world.a.users["company_admin"])
    rows = csv_rows(
        client.get(
            reverse("reports:rollup_export"),
            {"day": DAY.isoformat(), "company": world.a.company.pk, "format": "csv"},
        )
    )
    a1 = next(row for row in rows if row[0] == "a花园")
    assert a1[-2] == "'=HYPERLINK(1)"

    # The workbook keeps the text as it was, as a string cell (never a formula).
    response = client.get(
        reverse("reports:rollup_export"), {"day": DAY.isoformat(), "company": world.a.company.pk}
    )
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    [notes] = [row[-2] for row in ws.iter_rows() if row[0].value == "a花园"]
    assert (notes.value, notes.data_type) == ("=HYPERLINK(1)", "s")


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        ("guard", {}, 403),
        ("authority_b", {"division": "420106"}, 404),
        ("company_admin", {"company": "b"}, 404),
        ("company_admin", {"format": "pdf"}, 404),
    ],
)
def test_exports_need_the_permission_and_the_scope(client, world, land, who, query, status):  # noqa: F811
    user = world.users["authority_viewer"] if who == "authority_b" else world.a.users[who]
    if query.get("company") == "b":
        query = {"company": world.b.company.pk}
    login(client, user)
    assert client.get(reverse("reports:rollup_export"), query).status_code == status
    assert not AuditEvent.objects.filter(action=AuditAction.ROLLUP_EXPORT).exists()
