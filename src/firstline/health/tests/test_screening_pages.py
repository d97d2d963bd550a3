"""Staff pages of screening: the declaration list and detail, declaring for a
resident, the declaration QR codes, risk lists; permissions, bad input, and the
list pages' pinned query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from firstline.health.models import Consent, Declaration, RiskArea, RiskList, WorkItem
from firstline.health.services.declarations import PlaceInput
from firstline.health.tests.helpers import (
    another_household_resident,
    count_queries,
    high_risk_list,
    high_risk_visit,
    login,
    staff_declare,
)
from firstline.health.views.declare import site_token


@pytest.fixture
def areas(world):
    return high_risk_list()


def declare(resident, *, high_risk=False, **data):
    if high_risk:
        data["places"] = (high_risk_visit(),)
    return staff_declare(resident, **data)


def form_data(**extra) -> dict:
    data = {
        "places-TOTAL_FORMS": "5",
        "places-INITIAL_FORMS": "0",
        "places-MIN_NUM_FORMS": "0",
        "places-MAX_NUM_FORMS": "20",
        "temperature": "36.5",
    }
    data.update(extra)
    return data


# --- declaration list ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["company_admin", "site_manager", "health_officer"])
def test_list_renders_for_permitted_roles(client, world, areas, role):
    declare(world.a.residents[0], high_risk=True)
    login(client, world.a.users[role])
    response = client.get(reverse("health:declaration_list"))
    assert response.status_code == 200
    assert [d.resident_id for d in response.context["object_list"]] == [world.a.residents[0].pk]


@pytest.mark.parametrize("role", ["guard", "cleaner", "resident", "association_admin"])
def test_list_refused_to_other_roles(client, world, role):
    user = world.a.users.get(role) or world.users[role]
    login(client, user)
    assert client.get(reverse("health:declaration_list")).status_code == 403


def test_list_filters_search_and_history(client, world, areas):
    zhang, li = world.a.residents
    old = declare(zhang)
    declare(zhang, high_risk=True)
    declare(li, temperature=Decimal("36.4"))
    login(client, world.a.users["company_admin"])
    list_url = reverse("health:declaration_list")

    def ids(**params):
        response = client.get(list_url, params)
        assert response.status_code == 200
        return sorted(d.pk for d in response.context["object_list"])

    current = sorted(Declaration.all_tenants.filter(current=True).values_list("pk", flat=True))
    assert ids() == current
    assert old.pk in ids(history="1")
    assert ids(status="red") == [Declaration.all_tenants.get(resident=zhang, current=True).pk]
    assert ids(q=li.name) == [Declaration.all_tenants.get(resident=li, current=True).pk]
    assert ids(q=li.phone_last4) == ids(q=li.name)
    assert ids(q="301") == current  # the room
    assert ids(site=world.a.site.pk) == current
    # Another company's site in the filter: a 404, as if it did not exist.
    assert client.get(list_url, {"site": world.b.site.pk}).status_code == 404


def test_htmx_refresh_answers_the_table_only(client, world):
    declare(world.a.residents[0])
    login(client, world.a.users["company_admin"])
    response = client.get(
        reverse("health:declaration_list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="list-table"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="declaration-table"' in html and "<html" not in html


def test_company_a_never_sees_company_b(client, world, areas):
    mine = declare(world.a.residents[0])
    theirs = declare(world.b.residents[0], high_risk=True)
    for role in ("company_admin", "health_officer"):
        login(client, world.a.users[role])
        listed = client.get(reverse("health:declaration_list"), {"history": "1"})
        assert [d.pk for d in listed.context["object_list"]] == [mine.pk]
        assert client.get(theirs.get_absolute_url()).status_code == 404
        client.logout()
    # A resident user of company a, through their own household page: not b's either.
    login(client, world.a.users["resident"])
    assert client.get(reverse("health:declare_mine_result", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("health:declare_mine_result", args=[mine.pk])).status_code == 200


# --- declaration detail -------------------------------------------------------------------------


def test_detail_shows_places_reasons_consent_and_masked_phone(client, world, areas):
    resident = world.a.residents[0]
    declaration = declare(resident, high_risk=True, symptoms=("cough",), transport="G1234")
    login(client, world.a.users["health_officer"])
    response = client.get(declaration.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "到访 武汉市江汉区（高风险）" in html
    assert "干咳" in html and "G1234" in html
    assert resident.phone_masked in html and "13800000101" not in html
    assert "告知书版本 2020-01" in html
    assert response.context["work_item"].level == "red"


# --- declare for a resident ---------------------------------------------------------------------


def test_staff_find_resident_and_declare_with_consent(client, world, areas):
    resident = world.a.residents[1]
    login(client, world.a.users["health_officer"])
    create = reverse("health:declaration_create")
    page = client.get(create, {"q": resident.name})
    assert [r.pk for r in page.context["matches"]] == [resident.pk]
    assert client.get(create, {"resident": resident.pk}).status_code == 200

    # No consent ticked and a bad temperature: both named, nothing saved.
    response = client.post(create, form_data(resident=resident.pk, temperature="29"))
    assert response.status_code == 400
    assert response.context["consent_form"].errors["agree"]
    assert response.context["form"].errors["temperature"]
    assert not Declaration.all_tenants.exists() and not Consent.all_tenants.exists()

    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        create,
        form_data(
            resident=resident.pk,
            **{
                "consent-agree": "on",
                "places-0-place_name": "武汉市江汉区民族街",
                "places-0-visited_on": day,
                "places-0-division_code": "420103001",
            },
        ),
    )
    declaration = Declaration.all_tenants.get()
    assert response.status_code == 302 and response["Location"] == declaration.get_absolute_url()
    assert (declaration.channel, declaration.status, declaration.recorded_by_id) == (
        "staff",
        "red",
        world.a.users["health_officer"].pk,
    )
    consent = Consent.all_tenants.get()
    assert (consent.channel, consent.recorded_by_id) == ("staff", declaration.recorded_by_id)
    assert WorkItem.all_tenants.filter(resident=resident, level="red").exists()


def test_staff_cannot_declare_for_another_company(client, world):
    login(client, world.a.users["health_officer"])
    create = reverse("health:declaration_create")
    other = world.b.residents[0]
    assert client.get(create, {"resident": other.pk}).status_code == 404
    response = client.post(create, form_data(resident=other.pk, **{"consent-agree": "on"}))
    assert response.status_code == 404
    assert client.get(create, {"q": other.name}).context["matches"] == []
    assert not Declaration.all_tenants.exists()


def test_guard_cannot_declare_for_anyone(client, world):
    login(client, world.a.users["guard"])
    create = reverse("health:declaration_create")
    response = client.post(
        create, form_data(resident=world.a.residents[0].pk, **{"consent-agree": "on"})
    )
    assert response.status_code == 403
    assert not Declaration.all_tenants.exists()


# --- QR codes -------------------------------------------------------------------------------------


def test_qr_page_links_each_site_with_its_code(client, world):
    login(client, world.a.users["site_manager"])
    response = client.get(reverse("health:declare_qr"))
    assert response.status_code == 200
    cards = response.context["cards"]
    assert [c["site"].pk for c in cards] == [world.a.site.pk]
    assert cards[0]["url"].endswith(
        reverse("health:declare_start", args=[site_token(world.a.site)])
    )
    assert cards[0]["svg"].startswith("<svg")
    assert client.get(cards[0]["url"]).status_code == 200


# --- risk lists -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["association_admin", "company_admin", "guard", "resident", "no_role"]
)
def test_everyone_signed_in_may_read_risk_lists(client, world, areas, who):
    login(client, world.users.get(who) or world.a.users[who])
    response = client.get(reverse("health:risklist_list"))
    assert response.status_code == 200
    assert [rl.pk for rl in response.context["object_list"]] == [areas.pk]
    response = client.get(areas.get_absolute_url())
    assert response.status_code == 200
    assert "武汉市江汉区" in response.content.decode()


def test_risk_list_detail_filters_areas_and_lists_versions(client, world, areas):
    newer = RiskList.objects.create(
        name=areas.name, version=2, published_at=timezone.now(), area_count=0, current=False
    )
    RiskArea.objects.create(
        risk_list=areas, name="华南海鲜市场", level="medium", valid_from=timezone.localdate()
    )
    login(client, world.a.users["health_officer"])
    response = client.get(areas.get_absolute_url(), {"level": "medium"})
    assert [a.name for a in response.context["areas"]] == ["华南海鲜市场"]
    assert [v.version for v in response.context["versions"]] == [2, 1]
    response = client.get(areas.get_absolute_url(), {"q": "4201"})
    assert [a.name for a in response.context["areas"]] == ["武汉市江汉区"]
    assert client.get(newer.get_absolute_url()).status_code == 200


def test_only_the_association_uploads_risk_lists(client, world):
    upload = reverse("health:risklist_upload")
    for role in ("company_admin", "health_officer", "guard"):
        login(client, world.a.users[role])
        assert client.get(upload).status_code == 403
        client.logout()
    login(client, world.users["association_admin"])
    assert client.get(upload).status_code == 200


def test_upload_form_rejects_bad_input(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, world.users["association_admin"])
    response = client.post(
        reverse("health:risklist_upload"),
        {
            "name": "",
            "published_at": "not a date",
            "file": SimpleUploadedFile("list.pdf", b"%PDF"),
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"name", "published_at", "file"} <= set(errors)
    assert not RiskList.objects.exists()


# --- pinned query counts -------------------------------------------------------------------------

# session, user, role assignments (the scope), the site filter's sites, COUNT, the page.
EXPECTED = {
    "health:declaration_list": ("company_admin", 6),
    "health:workitem_list": ("health_officer", 6),
    # session, user, scope, COUNT, the page (the status is a subquery of the page query).
    "health:declare_mine": ("resident", 5),
    "health:declare_qr": ("site_manager", 5),
    # session, user, scope (for the upload button), COUNT, the page.
    "health:risklist_list": ("health_officer", 5),
}


def grow(tenant, n: int) -> None:
    """n more households with a resident each, every one declared (yellow) — and
    so on the worklist too."""
    for i in range(n):
        resident = another_household_resident(tenant, i, id_seed=600)
        declare(resident, symptoms=("cough",))
        RiskList.objects.create(
            name=f"名单{tenant.company.pk}-{i}", version=1, published_at=timezone.now()
        )


@pytest.mark.parametrize("name", list(EXPECTED))
def test_list_query_counts_are_pinned(client, world, name):
    role, expected = EXPECTED[name]
    declare(world.a.residents[0], symptoms=("cough",))
    declare(world.a.residents[1], symptoms=("cough",))
    RiskList.objects.create(name="名单", version=1, published_at=timezone.now())
    login(client, world.a.users[role])
    url = reverse(name)
    assert count_queries(client, url) == expected
    grow(world.a, 8)
    assert count_queries(client, url) == expected


# --- import of declarations -----------------------------------------------------------------------


def workbook(rows: list[list]) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    from firstline.health.services.declarations_import import COLUMNS

    wb = Workbook()
    ws = wb.active
    ws.append([header for _f, header, _e in COLUMNS])
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_import_template_downloads(client, world):
    login(client, world.a.users["site_manager"])
    response = client.get(reverse("health:declaration_import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_import_with_a_bad_row_names_it_and_saves_nothing(client, world):
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    rows = [
        [
            "1栋",
            "1",
            "301",
            "a张伟",
            "",
            f"武汉市江汉区@{day}",
            "",
            "",
            "否",
            "否",
            "",
            "36.5",
            "是",
        ],
        ["1栋", "1", "301", "a李娜", "", "", "", "", "否", "否", "", "50", "是"],
    ]
    login(client, world.a.users["site_manager"])
    response = client.post(
        reverse("health:declaration_import"),
        {"site": world.a.site.pk, "file": upload("decl.xlsx", workbook(rows))},
    )
    assert response.status_code == 400
    errors = response.context["row_errors"]
    assert any("第 3 行" in e and "体温" in e for e in errors), errors
    assert not Declaration.all_tenants.exists()


def test_import_good_file_reports_counts(client, world, areas):
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    rows = [
        [
            "1栋",
            "1",
            "301",
            "a张伟",
            "",
            f"420103 武汉市江汉区@{day}",
            "",
            "G1",
            "否",
            "否",
            "",
            "36.5",
            "是",
        ],
        ["1栋", "1", "301", "a李娜", "", "", "", "", "否", "否", "干咳", "36.6", "是"],
    ]
    login(client, world.a.users["site_manager"])
    response = client.post(
        reverse("health:declaration_import"),
        {"site": world.a.site.pk, "file": upload("decl.xlsx", workbook(rows))},
    )
    assert response.status_code == 200, response.context.get("row_errors")
    result = response.context["result"]
    assert (result.imported, result.red, result.yellow) == (2, 1, 1)
    assert "红码 1 人" in response.content.decode()
    assert Declaration.all_tenants.filter(channel="import").count() == 2


def test_import_into_another_company_site_is_refused(client, world):
    login(client, world.a.users["site_manager"])
    response = client.post(
        reverse("health:declaration_import"),
        {"site": world.b.site.pk, "file": upload("decl.xlsx", workbook([]))},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["site"]
    assert not Declaration.all_tenants.exists()


# --- risk-list upload and re-screening -----------------------------------------------------------

CSV = "区划代码,地区,风险等级,起始日期,截止日期\n420103,武汉市江汉区,高,{start},\n"


def test_upload_makes_a_version_and_rescreens_with_progress(
    client, world, django_capture_on_commit_callbacks
):
    # A declaration screened green before the list existed, with a visit to 江汉区.
    resident = world.a.residents[0]
    day = timezone.localdate() - timedelta(days=2)
    declaration = declare(resident, places=(PlaceInput("武汉市江汉区", day, "420103"),))
    assert declaration.status == "green"
    login(client, world.users["association_admin"])
    start = (timezone.localdate() - timedelta(days=20)).isoformat()
    # The task is queued once the upload commits; the test backend then runs it at once.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("health:risklist_upload"),
            {
                "name": "湖北省中高风险地区",
                "source": "湖北省卫健委",
                "published_at": "2020-01-20T10:00",
                "file": upload("list.csv", CSV.format(start=start).encode("utf-8-sig")),
            },
        )
    assert response.status_code == 200, response.context.get("row_errors")
    risk_list = RiskList.objects.get()
    assert (risk_list.version, risk_list.area_count, risk_list.current) == (1, 1, True)
    html = response.content.decode()
    assert 'data-testid="rescreen-progress"' in html and "hx-get" in html  # the bar polls
    progress = response.context["progress"]
    progress.refresh_from_db()
    assert progress.status == "succeeded"
    assert progress.result["red"] == 1
    declaration.refresh_from_db()
    assert declaration.status == "red"
    assert WorkItem.all_tenants.get(resident=resident).level == "red"
    # The progress page is the uploader's alone.
    page = client.get(reverse("health:risklist_upload"), {"progress": str(progress.pk)})
    assert page.status_code == 200 and page.context["progress"].pk == progress.pk
    client.logout()
    login(client, world.a.users["company_admin"])
    assert client.get(reverse("task_progress", args=[progress.pk])).status_code == 404

    # A second upload of the same name is version 2; version 1 stays as history.
    client.logout()
    login(client, world.users["association_admin"])
    client.post(
        reverse("health:risklist_upload"),
        {
            "name": "湖北省中高风险地区",
            "published_at": "2020-01-27T10:00",
            "file": upload("list2.csv", CSV.format(start=start).encode()),
        },
    )
    assert list(RiskList.objects.order_by("version").values_list("version", "current")) == [
        (1, False),
        (2, True),
    ]


def test_upload_with_bad_rows_lists_them_and_saves_nothing(client, world):
    login(client, world.users["association_admin"])
    bad = "区划代码,地区,风险等级,起始日期\n4201X,武汉市江汉区,极高,2020-13-01\n"
    response = client.post(
        reverse("health:risklist_upload"),
        {
            "name": "名单",
            "published_at": "2020-01-20T10:00",
            "file": upload("list.csv", bad.encode()),
        },
    )
    assert response.status_code == 400
    errors = " ".join(response.context["row_errors"])
    assert "第 2 行【区划代码】" in errors and "【风险等级】" in errors and "【起始日期】" in errors
    assert not RiskList.objects.exists()
    assert "progress" not in response.context
