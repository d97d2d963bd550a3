"""Bulk onboarding by Excel: member companies and sites, rooms, staff, and rooms
added from a resident roster. All rows or none, each problem named by sheet, row
and column, run through the page as a task with progress."""

from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from firstline.core.models import AuditEvent, TaskProgress
from firstline.core.personal.fields import get_personal
from firstline.estates.models import AuditAction, Building, Household, Resident, Site, Staff
from firstline.orgs.models import Association, Company, Membership
from firstline.orgs.services.accounts import api_token_create
from firstline.testing.world import PASSWORD, make_credit_code, make_user

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.VAR_DIR = tmp_path
    settings.FIRSTLINE_REQUIRE_2FA = False


def workbook(sheets: dict[str, list[list]], name="onboarding.xlsx") -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX)


def signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(client, capture, slug, target, sheets, **extra):
    with capture(execute=True):
        response = client.post(
            reverse("estates:onboarding_import", args=[slug]),
            {"target": target.pk, "file": workbook(sheets), **extra},
        )
    assert response.status_code == 200, response.content[:500]
    return TaskProgress.objects.get(pk=response.context["progress"].pk)


COMPANY_HEADER = ["企业名称", "统一社会信用代码", "注册地", "联系人", "联系电话", "地址"]
SITE_HEADER = ["企业信用代码", "项目名称", "项目类型", "所属社区", "地址", "项目电话"]


# --- members: companies and sites --------------------------------------------------------


def test_members_workbook_registers_companies_memberships_and_sites(
    client, django_capture_on_commit_callbacks, world
):
    admin = world.users["association_admin"]
    new1, new2 = make_credit_code(101), make_credit_code(102)
    sheets = {
        "企业": [
            COMPANY_HEADER,
            ["楚天物业", new1, "420106", "王经理", "027-88886666", "武昌区中山路 1 号"],
            ["江夏物业", new2.lower(), "武汉市/武昌区", None, None, None],
        ],
        "项目": [
            SITE_HEADER,
            [new1, "楚天花园", "住宅小区", "420106001001", "中山路 2 号", None],
            [new1, "楚天大厦", "写字楼", "武昌区/中华路街道/户部巷社区", None, None],
            [new2, "江夏苑", None, "临江社区", None, None],
            # a member already registered gets a new site
            [world.a.company.credit_code, "a新城", "商业综合体", "友谊社区", None, None],
        ],
    }
    progress = upload(
        signed_in(client, admin),
        django_capture_on_commit_callbacks,
        "members",
        world.association,
        sheets,
    )
    assert progress.status == "succeeded", progress.result
    assert progress.result["message"] == "已登记 2 家企业、4 个项目"
    assert progress.result["redirect"] == reverse("company_list")
    chutian = Company.objects.get(credit_code=new1)
    assert (chutian.name, chutian.division.code, chutian.contact_phone) == (
        "楚天物业",
        "420106",
        "027-88886666",
    )
    assert Company.objects.get(credit_code=new2).division.code == "420106"  # lower case fixed
    assert (
        Membership.objects.filter(
            association=world.association, company__credit_code__in=[new1, new2]
        ).count()
        == 2
    )
    sites = {
        s.name: (s.company_id, s.site_type, s.community.code)
        for s in Site.all_tenants.filter(name__in=["楚天花园", "楚天大厦", "江夏苑", "a新城"])
    }
    assert sites == {
        "楚天花园": (chutian.pk, "residential", "420106001001"),
        "楚天大厦": (chutian.pk, "office", "420106002001"),
        "江夏苑": (Company.objects.get(credit_code=new2).pk, "residential", "420106001001"),
        "a新城": (world.a.company.pk, "commercial", "420103001001"),
    }
    audits = AuditEvent.objects.filter(action=AuditAction.MEMBERS_IMPORT)
    assert {(a.company_id, a.changes["sites"], a.changes["company_created"]) for a in audits} == {
        (chutian.pk, 2, True),
        (Company.objects.get(credit_code=new2).pk, 1, True),
        (world.a.company.pk, 1, False),
    }


def test_one_bad_row_imports_nothing_and_names_sheet_row_and_column(
    client, django_capture_on_commit_callbacks, world
):
    admin = world.users["association_admin"]
    good, bad_check = make_credit_code(201), make_credit_code(202)[:-1] + "0"
    if bad_check == make_credit_code(202):
        bad_check = bad_check[:-1] + "1"
    sheets = {
        "企业": [
            COMPANY_HEADER,
            ["好物业", good, "420106", None, None, None],
            ["坏物业", bad_check, "420106", None, "not a phone", None],
            ["重复物业", good, "火星区", None, None, None],
            ["已有物业", world.b.company.credit_code, "420106", None, None, None],
        ],
        "项目": [
            SITE_HEADER,
            [good, "好花园", "城堡", "420106", None, None],
            [good, "好花园", None, "临江社区", None, None],
            ["91420100MA0000000X", "无主花园", None, "临江社区", None, None],
            [world.a.company.credit_code, world.a.site.name, None, "临江社区", None, None],
        ],
    }
    before = (Company.objects.count(), Site.all_tenants.count())
    progress = upload(
        signed_in(client, admin),
        django_capture_on_commit_callbacks,
        "members",
        world.association,
        sheets,
    )
    assert progress.status == "failed"
    assert (Company.objects.count(), Site.all_tenants.count()) == before
    errors = {(e["sheet"], e["row"], e["field"]) for e in progress.result["errors"]}
    assert errors == {
        ("企业", 3, "统一社会信用代码"),
        ("企业", 3, "联系电话"),
        ("企业", 4, "统一社会信用代码"),
        ("企业", 4, "注册地"),
        ("企业", 5, "统一社会信用代码"),
        ("项目", 2, "项目类型"),
        ("项目", 2, "所属社区"),  # a district is not a community
        ("项目", 3, "项目名称"),
        ("项目", 4, "企业信用代码"),
        ("项目", 5, "项目名称"),
    }
    messages = {(e["sheet"], e["row"], e["field"]): e["message"] for e in progress.result["errors"]}
    assert messages[("企业", 4, "统一社会信用代码")] == "与第 2 行的信用代码重复"
    assert messages[("项目", 2, "所属社区")] == "应为社区级区划"
    # the page lists the problems with their sheet
    page = client.get(
        reverse("estates:onboarding_import", args=["members"]), {"progress": progress.pk}
    )
    assert "坏物业" not in page.content.decode()
    assert '<td class="ps-3 text-nowrap">企业</td>' in page.content.decode()


def test_another_associations_member_is_unknown_to_the_sites_sheet(
    client, django_capture_on_commit_callbacks, world
):
    other = Association.objects.create(name="湖北省物业协会")
    outsider = Company.objects.create(
        name="外会物业", credit_code=make_credit_code(301), division=world.divisions["420106"]
    )
    Membership.objects.create(company=outsider, association=other, joined_on="2020-01-01")
    progress = upload(
        signed_in(client, world.users["association_admin"]),
        django_capture_on_commit_callbacks,
        "members",
        world.association,
        {"项目": [SITE_HEADER, [outsider.credit_code, "越界花园", None, "临江社区", None, None]]},
    )
    assert progress.status == "failed"
    assert [e["field"] for e in progress.result["errors"]] == ["企业信用代码"]
    assert not Site.all_tenants.filter(name="越界花园").exists()


def test_members_import_is_for_the_association_only(client, world):
    page = reverse("estates:onboarding_import", args=["members"])
    assert signed_in(client, world.a.users["company_admin"]).get(page).status_code == 403
    client.logout()
    response = signed_in(client, world.users["association_admin"]).post(
        page,
        {
            "target": Association.objects.create(name="别的协会").pk,
            "file": workbook({"企业": [COMPANY_HEADER]}),
        },
    )
    assert response.status_code == 200
    assert "target" in response.context["form"].errors  # not an association of theirs


def test_wrong_header_and_unreadable_file_are_refused(
    client, django_capture_on_commit_callbacks, world
):
    c = signed_in(client, world.users["association_admin"])
    progress = upload(
        c,
        django_capture_on_commit_callbacks,
        "members",
        world.association,
        {"企业": [["企业名称", "注册地"], ["x", "420106"]]},
    )
    assert progress.status == "failed"
    assert progress.result["message"] == "“企业”表头不符合导入模板，缺少列：统一社会信用代码。"
    progress = upload(
        c, django_capture_on_commit_callbacks, "members", world.association, {"Sheet": [["a"]]}
    )
    assert progress.result["message"] == "文件中没有“企业”或“项目”工作表，请使用导入模板。"


# --- rooms -------------------------------------------------------------------------------


def test_rooms_import_adds_buildings_and_rooms_and_skips_registered_ones(
    client, django_capture_on_commit_callbacks, world
):
    site = world.a.site  # has 1栋 1单元 301
    manager = world.a.users["site_manager"]
    sheets = {
        "房屋": [
            ["楼栋", "单元", "房号", "层数"],
            ["1号楼", "1单元", "301室", None],  # the registered room, written differently
            ["1栋", "1", "302", None],
            ["２栋", "", "１０１", 6],  # full-width digits
            ["2栋", None, "102", None],
        ]
    }
    progress = upload(
        signed_in(client, manager), django_capture_on_commit_callbacks, "rooms", site, sheets
    )
    assert progress.status == "succeeded", progress.result
    assert progress.result["counts"] == {"buildings": 1, "households": 3, "existing": 1}
    rooms = set(
        Household.all_tenants.filter(site=site).values_list("building__name", "unit", "room")
    )
    assert rooms == {
        ("1栋", "1", "301"),
        ("1栋", "1", "302"),
        ("２栋", "", "１０１"),
        ("２栋", "", "102"),
    }
    assert Building.all_tenants.get(site=site, name="２栋").floors == 6
    # the same file again adds nothing
    again = upload(client, django_capture_on_commit_callbacks, "rooms", site, sheets)
    assert again.result["counts"] == {"buildings": 0, "households": 0, "existing": 4}


def test_rooms_import_rejects_duplicates_and_bad_floors(
    client, django_capture_on_commit_callbacks, world
):
    site = world.a.site
    sheets = {
        "房屋": [
            ["楼栋", "单元", "房号", "层数"],
            ["3栋", "1", "101", "十八"],
            ["3栋", "1", "101", None],
            ["3号楼", "1单元", "101室", None],
            [None, "1", None, None],
        ]
    }
    progress = upload(
        signed_in(client, world.a.users["site_manager"]),
        django_capture_on_commit_callbacks,
        "rooms",
        site,
        sheets,
    )
    assert progress.status == "failed"
    assert [(e["row"], e["field"]) for e in progress.result["errors"]] == [
        (2, "层数"),
        (4, "房号"),
        (5, "楼栋"),
        (5, "房号"),
    ]
    assert not Building.all_tenants.filter(site=site, name="3栋").exists()


def test_another_companys_site_is_not_a_target(client, world):
    response = signed_in(client, world.a.users["company_admin"]).post(
        reverse("estates:onboarding_import", args=["rooms"]),
        {"target": world.b.site.pk, "file": workbook({"房屋": [["楼栋", "单元", "房号"]]})},
    )
    assert "target" in response.context["form"].errors
    assert not TaskProgress.objects.exists()


# --- staff -------------------------------------------------------------------------------


def test_staff_import_seals_phones_and_refuses_duplicates(
    client, django_capture_on_commit_callbacks, world
):
    site = world.a.site
    header = ["姓名", "手机号", "岗位", "在岗"]
    c = signed_in(client, world.a.users["company_admin"])
    progress = upload(
        c,
        django_capture_on_commit_callbacks,
        "staff",
        site,
        {
            "员工": [
                header,
                ["赵保洁", "139 0000 1111", "保洁员", None],
                ["钱门岗", None, "guard", "否"],
            ]
        },
    )
    assert progress.status == "succeeded", progress.result
    zhao = Staff.all_tenants.get(site=site, name="赵保洁")
    assert (zhao.position, zhao.on_duty, get_personal(zhao, "phone")) == (
        "cleaner",
        True,
        "13900001111",
    )
    assert Staff.all_tenants.get(site=site, name="钱门岗").on_duty is False
    progress = upload(
        c,
        django_capture_on_commit_callbacks,
        "staff",
        site,
        {
            "员工": [
                header,
                ["孙客服", "13900001111", "客服", None],
                ["李工", "13900002222", "水电工", "也许"],
                ["周工", "13900002222", "工程维修", None],
            ]
        },
    )
    assert progress.status == "failed"
    assert [(e["row"], e["field"]) for e in progress.result["errors"]] == [
        (2, "手机号"),
        (3, "岗位"),
        (3, "在岗"),
        (4, "手机号"),
    ]
    assert not Staff.all_tenants.filter(name="孙客服").exists()


# --- residents: households from the roster ---------------------------------------------


def test_resident_roster_can_add_missing_rooms(client, django_capture_on_commit_callbacks, world):
    site = world.a.site
    header = [
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
    rows = [
        header,
        ["9栋", "2", "1101", "吴新", None, None, 1970, None, None, None, None, None],
        ["9栋", "2", "1101", "吴新妻", None, None, 1972, "家属", None, None, None, None],
    ]
    c = signed_in(client, world.a.users["site_manager"])
    with django_capture_on_commit_callbacks(execute=True):
        c.post(
            reverse("estates:resident_import"), {"site": site.pk, "file": workbook({"居民": rows})}
        )
    refused = TaskProgress.objects.latest("created_at")
    assert refused.status == "failed"  # without the choice an unknown room is an error
    with django_capture_on_commit_callbacks(execute=True):
        c.post(
            reverse("estates:resident_import"),
            {"site": site.pk, "file": workbook({"居民": rows}), "add_rooms": "on"},
        )
    progress = TaskProgress.objects.latest("created_at")
    assert progress.status == "succeeded", progress.result
    household = Household.all_tenants.get(site=site, building__name="9栋", unit="2", room="1101")
    assert sorted(
        Resident.all_tenants.filter(household=household).values_list("name", flat=True)
    ) == ["吴新", "吴新妻"]


# --- the hub and templates ----------------------------------------------------------------


def test_hub_lists_what_each_role_may_import_and_templates_download(client, world):
    c = signed_in(client, world.users["association_admin"])
    assert [i.slug for i in c.get(reverse("estates:onboarding")).context["importers"]] == [
        "members"
    ]
    response = c.get(reverse("estates:onboarding_template", args=["members"]))
    book = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["企业", "项目", "填写说明"]
    assert [c.value for c in book["项目"][1]] == SITE_HEADER
    client.logout()
    c = signed_in(client, world.a.users["site_manager"])
    assert [i.slug for i in c.get(reverse("estates:onboarding")).context["importers"]] == [
        "rooms",
        "staff",
        "residents",
    ]
    assert c.get(reverse("estates:onboarding_template", args=["members"])).status_code == 403
    assert c.get(reverse("estates:onboarding_import", args=["nope"])).status_code == 404
    client.logout()
    assert (
        signed_in(client, make_user("nobody2")).get(reverse("estates:onboarding")).status_code
        == 403
    )


# --- the API a script or device uses ----------------------------------------------------------


def bearer(user) -> dict:
    _token, raw = api_token_create(user=user, name="onboarding")
    return {"Authorization": f"Bearer {raw}"}


def test_api_runs_an_import_and_reports_its_outcome(
    client, django_capture_on_commit_callbacks, world
):
    auth = bearer(world.a.users["company_admin"])
    rooms = workbook({"房屋": [["楼栋", "单元", "房号"], ["5栋", "1", "101"], ["5栋", "1", "102"]]})
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/api/v1/imports/rooms",
            {"target_id": world.a.sibling.site.pk, "file": rooms},
            headers=auth,
        )
    assert started.status_code == 202, started.content
    status = client.get(f"/api/v1/imports/rooms/{started.json()['progress_id']}", headers=auth)
    body = status.json()
    assert (body["status"], body["counts"]) == (
        "succeeded",
        {"buildings": 1, "households": 2, "existing": 0},
    )
    bad = workbook({"房屋": [["楼栋", "单元", "房号"], ["5栋", "1", None]]})
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/api/v1/imports/rooms", {"target_id": world.a.site.pk, "file": bad}, headers=auth
        )
    body = client.get(f"/api/v1/imports/rooms/{started.json()['progress_id']}", headers=auth).json()
    assert (body["status"], body["error_count"], body["errors"][0]["row"]) == ("failed", 1, 2)


def test_api_refuses_other_companies_sites_wrong_files_and_others_progress(
    client, django_capture_on_commit_callbacks, world
):
    auth = bearer(world.a.users["company_admin"])
    header = {"房屋": [["楼栋", "单元", "房号"]]}
    other = client.post(
        "/api/v1/imports/rooms",
        {"target_id": world.b.site.pk, "file": workbook(header)},
        headers=auth,
    )
    assert other.status_code == 404
    text = SimpleUploadedFile("rooms.csv", b"a,b", content_type="text/csv")
    wrong = client.post(
        "/api/v1/imports/rooms", {"target_id": world.a.site.pk, "file": text}, headers=auth
    )
    assert wrong.status_code == 422
    assert (
        client.post(
            "/api/v1/imports/members",
            {"target_id": world.association.pk, "file": workbook(header)},
            headers=auth,
        ).status_code
        == 403
    )
    with django_capture_on_commit_callbacks(execute=True):
        mine = client.post(
            "/api/v1/imports/rooms",
            {"target_id": world.a.site.pk, "file": workbook(header)},
            headers=auth,
        ).json()["progress_id"]
    someone_else = bearer(world.a.users["site_manager"])
    assert client.get(f"/api/v1/imports/rooms/{mine}", headers=someone_else).status_code == 404
    assert client.get(f"/api/v1/imports/staff/{mine}", headers=auth).status_code == 404
    assert TaskProgress.objects.count() == 1
