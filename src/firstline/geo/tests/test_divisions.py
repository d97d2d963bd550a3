"""Loading administrative divisions: the shipped Wuhan file, upserts and bad rows."""

import csv
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from firstline.geo.models import Division
from firstline.geo.selectors import districts_of, division_descendants, division_path
from firstline.geo.services import SHIPPED_CSV, divisions_import, divisions_import_csv

L = Division.Level

EXPECTED_DISTRICTS = {
    "420102": "江岸区",
    "420103": "江汉区",
    "420104": "硚口区",
    "420105": "汉阳区",
    "420106": "武昌区",
    "420107": "青山区",
    "420111": "洪山区",
    "420112": "东西湖区",
    "420113": "汉南区",
    "420114": "蔡甸区",
    "420115": "江夏区",
    "420116": "黄陂区",
    "420117": "新洲区",
    "420151": "武汉经济技术开发区",
    "420152": "东湖新技术开发区",
}
# Rows of the shipped file per level: province, city, districts, streets, communities.
SHIPPED_COUNTS = {1: 1, 2: 1, 3: 15, 4: 164, 5: 669}
HEADER = ["code", "name", "name_en", "level", "parent_code"]


def _write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _counts_by_level():
    return {level: Division.objects.filter(level=level).count() for level in L}


def _base_rows():
    return [
        {"code": "42", "name": "湖北省", "name_en": "Hubei", "level": "1", "parent_code": ""},
        {"code": "4201", "name": "武汉市", "name_en": "Wuhan", "level": "2", "parent_code": "42"},
        {
            "code": "420102",
            "name": "江岸区",
            "name_en": "Jiang'an District",
            "level": "3",
            "parent_code": "4201",
        },
    ]


@pytest.fixture
def shipped(db):
    return divisions_import_csv(path=SHIPPED_CSV)


def test_shipped_file_loads_every_level(shipped):
    assert shipped.created == SHIPPED_COUNTS
    assert shipped.total_updated == 0
    assert _counts_by_level() == SHIPPED_COUNTS
    assert SHIPPED_CSV.stat().st_size < 200 * 1024


def test_wuhan_has_exactly_the_fifteen_districts(shipped):
    districts = list(districts_of("4201"))
    assert {d.code: d.name for d in districts} == EXPECTED_DISTRICTS
    wuhan = Division.objects.get(code="4201")
    assert all(d.parent_id == wuhan.pk for d in districts)
    assert Division.objects.get(code="420102").name_en == "Jiang'an District"
    assert wuhan.name_en == "Wuhan"
    assert wuhan.parent.code == "42"


def test_every_street_hangs_under_a_district(shipped):
    streets = Division.objects.filter(level=L.STREET).select_related("parent")
    assert streets.count() == 164
    for street in streets:
        assert street.parent.level == L.DISTRICT
        assert len(street.code) == 9
        assert street.code.startswith(street.parent.code)
    per_district = {
        code: division_descendants(code=code, level=L.STREET).count() for code in EXPECTED_DISTRICTS
    }
    assert per_district["420113"] == 4  # 汉南区 has four streets
    assert per_district["420102"] == 17
    assert all(count >= 3 for count in per_district.values())


def test_every_community_code_extends_its_street_code(shipped):
    communities = Division.objects.filter(level=L.COMMUNITY).select_related("parent")
    assert communities.count() == 669
    for community in communities:
        assert community.parent.level == L.STREET
        assert len(community.code) == 12
        assert community.code.startswith(community.parent.code)
    for street in Division.objects.filter(level=L.STREET):
        assert 3 <= division_descendants(code=street.code).count() <= 6


def test_reloading_the_shipped_file_changes_nothing(shipped):
    ids_before = dict(Division.objects.values_list("code", "pk"))
    again = divisions_import_csv(path=SHIPPED_CSV)
    assert again.total_created == 0
    assert again.total_updated == 0
    assert again.unchanged == SHIPPED_COUNTS
    assert _counts_by_level() == SHIPPED_COUNTS
    assert dict(Division.objects.values_list("code", "pk")) == ids_before
    assert Division.objects.filter(code="420102002").count() == 1


def test_name_update_keeps_the_row_and_its_children(shipped, tmp_path):
    street = Division.objects.get(code="420102002")
    path = _write_csv(
        tmp_path / "rename.csv",
        [["420102002", "大智街道新址", "Dazhi Subdistrict (new)", 4, "420102"]],
    )
    result = divisions_import_csv(path=path)
    assert result.updated == {1: 0, 2: 0, 3: 0, 4: 1, 5: 0}
    assert result.total_created == 0
    renamed = Division.objects.get(code="420102002")
    assert renamed.pk == street.pk
    assert renamed.name == "大智街道新址"
    assert renamed.name_en == "Dazhi Subdistrict (new)"
    assert renamed.parent.code == "420102"
    assert renamed.children.count() == 4
    assert _counts_by_level() == SHIPPED_COUNTS


@pytest.mark.django_db
def test_bad_code_length_names_row_and_field_and_writes_nothing(tmp_path):
    path = _write_csv(
        tmp_path / "bad.csv",
        [
            ["42", "湖北省", "Hubei", 1, ""],
            ["4201", "武汉市", "Wuhan", 2, "42"],
            ["42010", "江岸区", "Jiang'an District", 3, "4201"],
        ],
    )
    with pytest.raises(ValidationError) as info:
        divisions_import_csv(path=path)
    errors = info.value.error_list
    assert len(errors) == 1
    assert errors[0].params["row"] == 4  # line 4 of the file: header is line 1
    assert errors[0].params["field"] == "code"
    assert info.value.messages == ["第 4 行，字段 code：第 3 级区划代码应为 6 位，实际 5 位。"]
    assert Division.objects.count() == 0


@pytest.mark.django_db
def test_unknown_parent_names_row_and_field_and_writes_nothing():
    rows = [
        *_base_rows(),
        {
            "code": "420199001",
            "name": "某街道",
            "name_en": "",
            "level": "4",
            "parent_code": "420199",
        },
    ]
    with pytest.raises(ValidationError) as info:
        divisions_import(rows=rows)
    errors = info.value.error_list
    assert [(e.params["row"], e.params["field"]) for e in errors] == [(4, "parent_code")]
    assert "420199" in info.value.messages[0]
    assert Division.objects.count() == 0


@pytest.mark.django_db
def test_parent_must_come_earlier_in_the_file():
    rows = _base_rows()
    rows = [rows[0], rows[2], rows[1]]  # the district before its city
    with pytest.raises(ValidationError) as info:
        divisions_import(rows=rows)
    assert [(e.params["row"], e.params["field"]) for e in info.value.error_list] == [
        (2, "parent_code")
    ]
    assert Division.objects.count() == 0


@pytest.mark.django_db
def test_row_checks_report_each_bad_field():
    rows = [
        *_base_rows(),
        {"code": "42a", "name": "x", "name_en": "", "level": "1", "parent_code": ""},
        {"code": "4202", "name": "", "name_en": "", "level": "2", "parent_code": "42"},
        {"code": "4203", "name": "y", "name_en": "", "level": "9", "parent_code": "42"},
        {"code": "4301", "name": "z", "name_en": "", "level": "2", "parent_code": "42"},
        {"code": "4201", "name": "重复", "name_en": "", "level": "2", "parent_code": "42"},
    ]
    with pytest.raises(ValidationError) as info:
        divisions_import(rows=rows)
    assert [(e.params["row"], e.params["field"]) for e in info.value.error_list] == [
        (4, "code"),
        (5, "name"),
        (6, "level"),
        (7, "parent_code"),
        (8, "code"),
    ]
    assert Division.objects.count() == 0


@pytest.mark.django_db
def test_parent_already_in_the_database_is_used():
    divisions_import(rows=_base_rows())
    result = divisions_import(
        rows=[
            {
                "code": "420102002",
                "name": "大智街道",
                "name_en": "Dazhi Subdistrict",
                "level": "4",
                "parent_code": "420102",
            }
        ]
    )
    assert result.created == {1: 0, 2: 0, 3: 0, 4: 1, 5: 0}
    assert Division.objects.get(code="420102002").parent.code == "420102"


def test_division_path_is_root_first_in_one_query(shipped, django_assert_num_queries):
    community = Division.objects.get(code="420102002001")
    with django_assert_num_queries(1):
        path = division_path(division=community)
    assert [d.code for d in path] == ["42", "4201", "420102", "420102002", "420102002001"]
    assert [d.name for d in path][:3] == ["湖北省", "武汉市", "江岸区"]


def test_division_descendants_filters_by_level(shipped):
    assert division_descendants(code="420113", level=L.STREET).count() == 4
    assert division_descendants(code="420113").count() == 4 + 20
    assert division_descendants(code="4201", level=L.DISTRICT).count() == 15
    with pytest.raises(ValueError):
        division_descendants(code="")


@pytest.mark.django_db
@translation.override("zh-hans")
def test_command_loads_the_shipped_file_and_reports_counts():
    out = StringIO()
    call_command("load_divisions", stdout=out)
    text = out.getvalue()
    assert "区：新建 15，更新 0，未变 0" in text
    assert "社区：新建 669，更新 0，未变 0" in text
    assert "合计：新建 850，更新 0，未变 0" in text
    out = StringIO()
    call_command("load_divisions", str(SHIPPED_CSV), stdout=out)
    assert "合计：新建 0，更新 0，未变 850" in out.getvalue()
    assert Division.objects.count() == 850
