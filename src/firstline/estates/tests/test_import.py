"""Importing residents from Excel: the template, every row checked before anything
is written, all or nothing, problems named by row and column, run as a task."""

import zipfile
from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from firstline.core.models import AuditEvent, TaskProgress
from firstline.core.personal.crypto import lookup_digest, seal
from firstline.core.personal.fields import get_personal
from firstline.core.personal.identity import id_check_char
from firstline.estates.models import AuditAction, Building, Household, Resident, Site
from firstline.estates.services.importing import COLUMNS
from firstline.estates.tasks import import_residents, upload_save
from firstline.geo.models import Division
from firstline.orgs.models import Company, RoleAssignment

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in COLUMNS]
IMPORT_URL = reverse("estates:resident_import")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def id_number(first17: str) -> str:
    return first17 + id_check_char(first17)


def bad_check(value: str) -> str:
    """The same ID with a wrong last character."""
    wrong = "0" if value[-1] != "0" else "1"
    return value[:17] + wrong


ZHANG = id_number("42010619560307123")
LI = id_number("42010619880415234")
WANG = id_number("42010620150921345")
ROWS = [
    ["1栋", "1", "101", "张桂兰", "13871234567", ZHANG, 1956, "业主", "是", "否", "是", "否"],
    ["1栋", "1", "102", "李强", "13912345678", LI, "", "租户", "", "", "", ""],
    ["1栋", "2", "201", "王小明", "", WANG, "2015", "家属", "否", "否", "否", "否"],
]


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.VAR_DIR = tmp_path
    settings.FIRSTLINE_REQUIRE_2FA = False


@pytest.fixture
def world():
    community = Division.objects.create(code="420106001001", name="临江社区", level=5)
    company = Company.objects.create(
        name="江城物业", credit_code="91420106MA4K000101", division=community
    )
    other = Company.objects.create(
        name="汉口物业", credit_code="91420102MA4K000202", division=community
    )
    site = Site.all_tenants.create(company=company, name="临江花园", community=community)
    second = Site.all_tenants.create(company=company, name="江滩小区", community=community)
    foreign = Site.all_tenants.create(company=other, name="汉口里", community=community)
    b1 = Building.all_tenants.create(company=company, site=site, name="1栋")
    for unit, room in [("1", "101"), ("1", "102"), ("2", "201")]:
        Household.all_tenants.create(company=company, site=site, building=b1, unit=unit, room=room)
    b2 = Building.all_tenants.create(company=company, site=second, name="A座")
    Household.all_tenants.create(company=company, site=second, building=b2, unit="", room="1001")
    return {"company": company, "other": other, "site": site, "second": second, "foreign": foreign}


@pytest.fixture
def manager(django_user_model, world):
    user = django_user_model.objects.create_user(username="manager", password="x-unused-9")
    RoleAssignment.objects.create(
        user=user, role="site_manager", company=world["company"], site=world["site"]
    )
    return user


@pytest.fixture
def client_in(client, manager):
    client.force_login(manager)
    return client


def workbook(rows, headers=HEADERS, name="residents.xlsx") -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "居民"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX)


def upload(client, capture, site, rows, **kwargs):
    with capture(execute=True):
        response = client.post(IMPORT_URL, {"site": site.pk, "file": workbook(rows, **kwargs)})
    return response


def last_progress() -> TaskProgress:
    return TaskProgress.objects.get()


def residents(site) -> list[Resident]:
    return list(Resident.all_tenants.filter(site=site).order_by("id"))


# --- the template ---------------------------------------------------------------------


def test_template_download_opens_with_the_headers(client_in):
    response = client_in.get(reverse("estates:resident_import_template"))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    wb = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["居民", "填写说明"]
    header = [c.value for c in wb["居民"][1]]
    assert header == [
        "楼栋",
        "单元",
        "房号",
        "姓名",
        "手机号",
        "身份证号",
        "出生年份",
        "关系",
        "独居老人",
        "残障",
        "慢性病",
        "孕妇",
    ]
    assert wb["居民"].column_dimensions["F"].number_format == "@"  # IDs stay text in Excel


def test_the_page_offers_upload_template_and_export(client_in, world):
    response = client_in.get(IMPORT_URL, {"site": world["site"].pk})

    assert response.status_code == 200
    assert list(response.context["form"].fields["site"].queryset) == [world["site"]]
    assert response.context["form"].initial == {"site": str(world["site"].pk)}
    html = response.content.decode()
    assert reverse("estates:resident_import_template") in html
    assert f'action="{reverse("estates:resident_export")}"' in html
    assert 'name="purpose"' in html  # a site manager may reveal, so may export in full


def test_filled_in_template_imports(client_in, django_capture_on_commit_callbacks, world):
    response = client_in.get(reverse("estates:resident_import_template"))
    wb = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)))
    wb["居民"].append(ROWS[0])
    out = BytesIO()
    wb.save(out)

    with django_capture_on_commit_callbacks(execute=True):
        client_in.post(
            IMPORT_URL,
            {"site": world["site"].pk, "file": SimpleUploadedFile("t.xlsx", out.getvalue())},
        )

    assert [r.name for r in residents(world["site"])] == ["张桂兰"]


# --- a valid file ---------------------------------------------------------------------


def test_valid_file_imports_every_row_sealed(
    client_in, django_capture_on_commit_callbacks, world, manager, tmp_path
):
    site = world["site"]

    response = upload(client_in, django_capture_on_commit_callbacks, site, ROWS)

    assert response.status_code == 200
    assert response.context["progress"].kind == "estates.import_residents"
    rows = residents(site)
    assert [(r.name, r.household.room, r.relation, r.birth_year) for r in rows] == [
        ("张桂兰", "101", "owner", 1956),
        ("李强", "102", "tenant", 1988),  # birth year taken from the ID number
        ("王小明", "201", "family", 2015),
    ]
    assert [(r.lives_alone_elderly, r.disabled, r.chronic_illness, r.pregnant) for r in rows] == [
        (True, False, True, False),
        (False, False, False, False),
        (False, False, False, False),
    ]
    zhang = rows[0]
    assert (zhang.phone_masked, zhang.phone_last4) == ("138****4567", "4567")
    assert zhang.id_number_masked == ZHANG[:4] + "*" * 10 + ZHANG[-4:]
    assert zhang.id_number_hmac == lookup_digest("id_number", ZHANG)
    assert (get_personal(zhang, "phone"), get_personal(zhang, "id_number")) == (
        "13871234567",
        ZHANG,
    )
    assert zhang.name_initials == "zgl"
    assert rows[2].phone_enc is None and rows[2].phone_masked == ""
    plaintexts = {"13871234567", "13912345678", ZHANG, LI, WANG}
    for resident in rows:
        stored = [getattr(resident, f.attname) for f in Resident._meta.concrete_fields]
        stored_text = " ".join(
            bytes(v).hex() + bytes(v).decode("latin-1")
            if isinstance(v, (bytes, memoryview))
            else str(v)
            for v in stored
        )
        assert not any(p in stored_text for p in plaintexts)
    progress = last_progress()
    assert (progress.status, progress.owner_id, progress.company_id) == (
        "succeeded",
        manager.pk,
        site.company_id,
    )
    assert progress.result["message"] == "已导入 3 名居民"
    assert progress.result["redirect"] == f"{reverse('estates:resident_list')}?site={site.pk}"
    audit = AuditEvent.objects.get(action=AuditAction.RESIDENTS_IMPORT)
    assert (audit.company_id, audit.actor_id, audit.object_type, audit.object_id) == (
        site.company_id,
        manager.pk,
        "estates.site",
        str(site.pk),
    )
    assert audit.changes == {"rows": 3, "file": "residents.xlsx"}
    assert list((tmp_path / "uploads").iterdir()) == []  # the sheet is not kept


def test_headers_in_another_order_with_extra_columns_import(
    client_in, django_capture_on_commit_callbacks, world
):
    headers = ["项目", *reversed(HEADERS)]
    rows = [["临江花园", *reversed(ROWS[0])]]

    upload(client_in, django_capture_on_commit_callbacks, world["site"], rows, headers=headers)

    assert [r.name for r in residents(world["site"])] == ["张桂兰"]


def test_loose_room_names_and_numeric_cells(client_in, django_capture_on_commit_callbacks, world):
    rows = [["1", "2单元", 201, "赵敏", 13700001111, "", 1990.0, "", "", "", "", ""]]

    upload(client_in, django_capture_on_commit_callbacks, world["site"], rows)

    [resident] = residents(world["site"])
    assert (resident.household.room, resident.phone_masked, resident.birth_year) == (
        "201",
        "137****1111",
        1990,
    )


def excel_style_file(rows: list[list[str]]) -> bytes:
    """A workbook as Excel and WPS write it: shared strings (with phonetic guides and
    rich-text runs), relative part names, cells without references."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    strings: list[str] = []
    sheet_rows = []
    for number, row in enumerate([HEADERS, *rows], start=1):
        cells = []
        for value in row:
            strings.append(value)
            cells.append(f'<c t="s"><v>{len(strings) - 1}</v></c>')
        sheet_rows.append(f'<row r="{number}">{"".join(cells)}</row>')
    items = "".join(
        f'<si><r><t>{v[:1]}</t></r><r><rPr><b/></rPr><t>{v[1:]}</t></r><rPh sb="0" eb="1"><t>ピン</t></rPh></si>'
        for v in strings
    )
    types = "http://schemas.openxmlformats.org/package/2006/content-types"
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{types}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{sheet_type}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet_type}.worksheet+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{sheet_type}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{sheet_type}.sharedStrings+xml"/>'
        "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
        f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        f'<sheet name="说明" sheetId="1" r:id="rId2"/><sheet name="居民" sheetId="2" r:id="rId1"/>'
        "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg}">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet2.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId3" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">{items}</sst>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData/></worksheet>',
        "xl/worksheets/sheet2.xml": f'<worksheet xmlns="{main}"><sheetData>{"".join(sheet_rows)}</sheetData></worksheet>',
    }
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + text)
    return out.getvalue()


def test_excel_style_file_with_shared_strings_imports(
    client_in, django_capture_on_commit_callbacks, world
):
    data = excel_style_file([[str(v) for v in ROWS[0]]])

    with django_capture_on_commit_callbacks(execute=True):
        client_in.post(
            IMPORT_URL, {"site": world["site"].pk, "file": SimpleUploadedFile("e.xlsx", data)}
        )

    [resident] = residents(world["site"])
    assert (resident.name, resident.household.room, resident.birth_year) == ("张桂兰", "101", 1956)
    assert get_personal(resident, "id_number") == ZHANG


def test_a_file_declaring_entities_is_refused(client_in, django_capture_on_commit_callbacks, world):
    bomb = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    data = excel_style_file([[str(v) for v in ROWS[0]]])
    with zipfile.ZipFile(BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace(
        b"?>", b"?>" + bomb.encode(), 1
    )
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in parts.items():
            z.writestr(name, body)

    with django_capture_on_commit_callbacks(execute=True):
        client_in.post(
            IMPORT_URL,
            {"site": world["site"].pk, "file": SimpleUploadedFile("b.xlsx", out.getvalue())},
        )

    progress = assert_rejected([])
    assert progress.result["message"] == "无法读取该文件，请确认是 .xlsx 格式的 Excel 文件。"


# --- a file with problems imports nothing -----------------------------------------------


def assert_rejected(expected_errors):
    assert Resident.all_tenants.count() == 0
    assert not AuditEvent.objects.filter(action=AuditAction.RESIDENTS_IMPORT).exists()
    progress = last_progress()
    assert progress.status == "failed"
    assert progress.result["errors"] == expected_errors
    assert progress.result["error_count"] == len(expected_errors)
    assert progress.result["redirect"] == f"{IMPORT_URL}?progress={progress.pk}"
    return progress


def test_one_bad_check_digit_on_row_3_imports_nothing(
    client_in, django_capture_on_commit_callbacks, world, tmp_path
):
    rows = [list(r) for r in ROWS]
    rows[1][5] = bad_check(LI)  # the second data row is row 3 in Excel

    upload(client_in, django_capture_on_commit_callbacks, world["site"], rows)

    progress = assert_rejected(
        [{"row": 3, "field": "身份证号", "message": "身份证号校验位不正确。"}]
    )
    assert progress.result["message"] == "文件中有 1 处错误，未导入任何数据。请修改后重新上传。"
    assert list((tmp_path / "uploads").iterdir()) == []


def test_room_that_does_not_exist_is_named(client_in, django_capture_on_commit_callbacks, world):
    rows = [list(r) for r in ROWS]
    rows[2][2] = "909"

    upload(client_in, django_capture_on_commit_callbacks, world["site"], rows)

    assert_rejected(
        [
            {
                "row": 4,
                "field": "房号",
                "message": "本项目没有此房号：1栋 2单元 909（请先在系统中登记该住户）",
            }
        ]
    )


def test_room_of_another_site_of_the_company_is_not_found(
    client_in, django_capture_on_commit_callbacks, world
):
    rows = [["A座", "", "1001", "钱进", "", "", "", "", "", "", "", ""]]

    upload(client_in, django_capture_on_commit_callbacks, world["site"], rows)

    assert_rejected(
        [
            {
                "row": 2,
                "field": "房号",
                "message": "本项目没有此房号：A座 1001（请先在系统中登记该住户）",
            }
        ]
    )


def test_duplicate_id_in_the_file(client_in, django_capture_on_commit_callbacks, world):
    rows = [list(r) for r in ROWS]
    rows[2][5] = ZHANG
    rows[2][6] = 1956

    upload(client_in, django_capture_on_commit_callbacks, world["site"], rows)

    assert_rejected([{"row": 4, "field": "身份证号", "message": "与第 2 行的身份证号重复"}])


def test_id_already_registered_in_the_company(client_in, django_capture_on_commit_callbacks, world):
    household = Household.all_tenants.get(site=world["second"])
    sealed = seal("id_number", LI)
    Resident.all_tenants.create(
        company=world["company"],
        site=world["second"],
        household=household,
        name="李强",
        id_number_enc=sealed.enc,
        id_number_hmac=sealed.hmac,
        id_number_last4=sealed.last4,
        id_number_masked=sealed.masked,
    )

    upload(client_in, django_capture_on_commit_callbacks, world["site"], ROWS)

    assert Resident.all_tenants.filter(site=world["site"]).count() == 0
    progress = last_progress()
    assert progress.result["errors"] == [
        {"row": 3, "field": "身份证号", "message": "该身份证号已登记在本企业的居民中"}
    ]


def test_every_problem_is_listed_in_row_and_column_order(
    client_in, django_capture_on_commit_callbacks, world
):
    rows = [
        ["1栋", "1", "101", "", "1387123456", ZHANG, 1957, "业主", "是", "否", "是", "否"],
        ["1栋", "1", "102", "李强", "13912345678", "4201061988041", "", "房东", "", "可能", "", ""],
        ["", "", "", "王小明", "", 4.2010620150921e17, "20015", "家属", "否", "否", "否", "否"],
    ]

    upload(client_in, django_capture_on_commit_callbacks, world["site"], rows)

    assert_rejected(
        [
            {"row": 2, "field": "姓名", "message": "姓名不能为空"},
            {"row": 2, "field": "手机号", "message": "手机号应为 11 位，以 1 开头。"},
            {
                "row": 2,
                "field": "出生年份",
                "message": "出生年份与身份证号不一致（身份证为 1956 年）",
            },
            {"row": 3, "field": "身份证号", "message": "身份证号应为 18 位，最后一位可为 X。"},
            {"row": 3, "field": "关系", "message": "关系应为 业主、租户 或 家属，而不是“房东”"},
            {"row": 3, "field": "残障", "message": "应填“是”或“否”，而不是“可能”"},
            {"row": 4, "field": "楼栋", "message": "楼栋不能为空"},
            {"row": 4, "field": "房号", "message": "房号不能为空"},
            {
                "row": 4,
                "field": "身份证号",
                "message": "身份证号被 Excel 存成了数字，末几位已丢失；请将该列设为文本后重新填写",
            },
            {
                "row": 4,
                "field": "出生年份",
                "message": f"出生年份应为 1900 到 {timezone.localdate().year} 之间的四位数字",
            },
        ]
    )


def test_missing_column_is_named(client_in, django_capture_on_commit_callbacks, world):
    headers = [h for h in HEADERS if h != "手机号"]
    rows = [[v for h, v in zip(HEADERS, ROWS[0], strict=True) if h != "手机号"]]

    upload(client_in, django_capture_on_commit_callbacks, world["site"], rows, headers=headers)

    progress = assert_rejected(
        [{"row": 1, "field": "手机号", "message": "缺少此列，请使用导入模板"}]
    )
    assert progress.result["message"] == "表头不符合导入模板，缺少列：手机号。"


def test_not_an_excel_file(client_in, django_capture_on_commit_callbacks, world):
    with django_capture_on_commit_callbacks(execute=True):
        client_in.post(
            IMPORT_URL,
            {
                "site": world["site"].pk,
                "file": SimpleUploadedFile("fake.xlsx", b"name,phone\n", content_type=XLSX),
            },
        )

    progress = assert_rejected([])
    assert progress.result["message"] == "无法读取该文件，请确认是 .xlsx 格式的 Excel 文件。"


def test_the_page_lists_the_problems(client_in, django_capture_on_commit_callbacks, world):
    rows = [list(r) for r in ROWS]
    rows[1][5] = bad_check(LI)
    upload(client_in, django_capture_on_commit_callbacks, world["site"], rows)

    response = client_in.get(last_progress().result["redirect"])

    assert response.status_code == 200
    html = response.content.decode()
    assert "第 3 行" in html
    assert '<td class="text-nowrap">身份证号</td><td>身份证号校验位不正确。</td>' in html


# --- permission ---------------------------------------------------------------------------


def test_another_companys_site_is_refused(client_in, django_capture_on_commit_callbacks, world):
    response = upload(client_in, django_capture_on_commit_callbacks, world["foreign"], ROWS)

    assert response.status_code == 200
    assert "site" in response.context["form"].errors
    assert Resident.all_tenants.count() == 0
    assert not TaskProgress.objects.exists()


def test_a_site_of_the_company_outside_the_managers_sites_is_refused(
    client_in, django_capture_on_commit_callbacks, world
):
    response = upload(client_in, django_capture_on_commit_callbacks, world["second"], ROWS)

    assert "site" in response.context["form"].errors
    assert not TaskProgress.objects.exists()


def test_company_admin_imports_into_any_site_of_the_company(
    client, django_user_model, django_capture_on_commit_callbacks, world
):
    admin = django_user_model.objects.create_user(username="admin", password="x-unused-9")
    RoleAssignment.objects.create(user=admin, role="company_admin", company=world["company"])
    client.force_login(admin)

    upload(client, django_capture_on_commit_callbacks, world["site"], ROWS)

    assert len(residents(world["site"])) == 3


def test_a_guard_may_not_import(client, django_user_model, world):
    guard = django_user_model.objects.create_user(username="guard", password="x-unused-9")
    RoleAssignment.objects.create(
        user=guard, role="guard", company=world["company"], site=world["site"]
    )
    client.force_login(guard)

    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(reverse("estates:resident_import_template")).status_code == 403


def test_role_revoked_before_the_task_runs(manager, world, tmp_path):
    path = upload_save(workbook(ROWS))
    progress = TaskProgress.objects.create(
        owner=manager, company=world["company"], kind="estates.import_residents"
    )
    RoleAssignment.objects.filter(user=manager).delete()

    import_residents.call(
        progress_id=str(progress.pk),
        upload_path=str(path),
        site_id=world["site"].pk,
        actor_id=manager.pk,
    )

    progress.refresh_from_db()
    assert (progress.status, progress.result["message"]) == (
        "failed",
        "您没有向该项目导入居民的权限。",
    )
    assert Resident.all_tenants.count() == 0
    assert not path.exists()


def test_a_path_outside_the_upload_folder_is_refused(manager, world, tmp_path):
    outside = tmp_path / "elsewhere.xlsx"
    outside.write_bytes(workbook(ROWS).read())
    progress = TaskProgress.objects.create(
        owner=manager, company=world["company"], kind="estates.import_residents"
    )

    import_residents.call(
        progress_id=str(progress.pk),
        upload_path=str(outside),
        site_id=world["site"].pk,
        actor_id=manager.pk,
    )

    progress.refresh_from_db()
    assert (progress.status, progress.result["message"]) == ("failed", "上传文件不存在。")
    assert Resident.all_tenants.count() == 0
    assert outside.exists()  # a path the task did not make is neither read nor deleted


def test_someone_elses_progress_is_not_found(
    client, client_in, django_user_model, django_capture_on_commit_callbacks, world
):
    upload(client_in, django_capture_on_commit_callbacks, world["site"], ROWS)
    progress = last_progress()
    other = django_user_model.objects.create_user(username="other", password="x-unused-9")
    RoleAssignment.objects.create(
        user=other, role="site_manager", company=world["company"], site=world["site"]
    )
    client.force_login(other)

    assert client.get(f"{IMPORT_URL}?progress={progress.pk}").status_code == 404
    assert client.get(f"{IMPORT_URL}?progress=not-a-uuid").status_code == 404
