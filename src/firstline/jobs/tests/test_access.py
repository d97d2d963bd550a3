"""Access checks outside the matrix: the public page and sign-up (no login), the
graduate's browsing and applying, an employer's registration, the association's desk;
and personal data: sealed in the database, masked on pages, exports and the API."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from firstline.core.personal.fields import get_personal
from firstline.jobs.models import Application, Employer, Fair, FairVisit, Graduate
from firstline.jobs.tests.furnish import PDF, furnish
from firstline.orgs.models import Association
from firstline.testing.world import PASSWORD, World, make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


SIGN_UP = {
    "username": "grad_new",
    "password": "a-Long-enough-pass-2020",
    "name": "王小明",
    "school": "华中科技大学",
    "major": "工商管理",
    "graduation_year": "2020",
    "phone": "13912345678",
    "id_number": make_id_number(321, birth="19980101"),
    "consent": "on",
}


def test_the_public_page_and_sign_up_need_no_login(client, world):
    fair = world.fair
    page = client.get(reverse("jobs:fair_public", args=[fair.pk]), {"q": "物业管理"})
    assert page.status_code == 200
    assert [p.title for p in page.context["positions"]] == ["物业管理员", "物业管理员"]
    assert page.context["figures"]["employers"] == "<5"  # small cells suppressed
    # a visitor counts once a day, by a key, never an address
    client.get(reverse("jobs:fair_public", args=[fair.pk]))
    visits = list(FairVisit.all_tenants.filter(fair=fair).values_list("visitor_key", flat=True))
    assert len(visits) == 1 and len(visits[0]) == 32 and "127.0.0.1" not in visits[0]
    # no match, no positions
    page = client.get(reverse("jobs:fair_public", args=[fair.pk]), {"q": "飞行员"})
    assert list(page.context["positions"]) == []
    # an unpublished fair is 404, pages and API
    Fair.all_tenants.filter(pk=fair.pk).update(published=False)
    assert client.get(reverse("jobs:fair_public", args=[fair.pk])).status_code == 404
    assert client.get(f"/api/v1/jobs/public/fairs/{fair.pk}").status_code == 404
    assert client.get(reverse("jobs:sign_up", args=[fair.pk])).status_code == 404
    Fair.all_tenants.filter(pk=fair.pk).update(published=True)
    api = client.get(f"/api/v1/jobs/public/fairs/{fair.pk}").json()
    assert api["figures"]["employers"] == 2 and api["figures"]["applications"] == 2
    found = client.get(f"/api/v1/jobs/public/fairs/{fair.pk}/positions", {"q": "武汉 物业"})
    assert found.json()["count"] == 2
    # sign-up with a CV: a login with the graduate role over the association
    data = SIGN_UP | {"cv": SimpleUploadedFile("我的简历.pdf", PDF, "application/pdf")}
    response = client.post(reverse("jobs:sign_up", args=[fair.pk]), data)
    assert response.status_code == 302 and response["Location"] == reverse("jobs:me")
    graduate = Graduate.all_tenants.get(user__username="grad_new")
    assert graduate.cv_name == "我的简历.pdf" and graduate.consent_at is not None
    assert client.get(reverse("jobs:me")).status_code == 200
    # a CV that is not a PDF or Word file is refused, nothing written
    client.logout()
    fake = SimpleUploadedFile("cv.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    response = client.post(
        reverse("jobs:sign_up", args=[fair.pk]), SIGN_UP | {"username": "grad_x", "cv": fake}
    )
    assert response.status_code == 200 and "cv" in response.context["form"].errors
    assert not Graduate.all_tenants.filter(user__username="grad_x").exists()
    # the API's sign-up: bad input names the field
    bad = post(
        client,
        f"/api/v1/jobs/public/fairs/{fair.pk}/sign-up",
        {k: v for k, v in SIGN_UP.items() if k != "consent"}
        | {"username": "grad_api", "graduation_year": 2020, "consent": True, "phone": "123"},
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "phone"


def test_a_graduate_browses_and_applies_to_open_positions_only(client, world):
    graduate = world.a.job_graduate
    login(client, world.a.users["graduate"])
    page = client.get(reverse("jobs:position_browse"), {"q": "物业"})
    assert page.status_code == 200
    assert {p.company_id for p in page.context["object_list"]} == {
        world.a.company.pk,
        world.b.company.pk,
    }
    assert client.get("/api/v1/jobs/me").json()["phone"] == "135****0001"
    assert client.get("/api/v1/jobs/positions", {"q": "物业管理员"}).json()["count"] == 2
    # it applies to b's position (it applied to a's in the world)
    other = world.b.job_position
    assert client.get(reverse("jobs:apply", args=[other.pk])).status_code == 200
    response = post(client, f"/api/v1/jobs/positions/{other.pk}/apply", {"cover_note": "你好"})
    assert response.status_code == 200 and response.json()["company_id"] == world.b.company.pk
    again = post(client, f"/api/v1/jobs/positions/{other.pk}/apply")
    assert again.status_code == 422
    assert Application.all_tenants.filter(graduate=graduate).count() == 2
    # a closed position is not offered: 404
    type(other).all_tenants.filter(pk=other.pk).update(state="closed")
    assert client.get(reverse("jobs:apply", args=[other.pk])).status_code == 404
    assert post(client, f"/api/v1/jobs/positions/{other.pk}/apply").status_code == 404
    # an employer (no graduate role) cannot browse as a graduate
    client.logout()
    login(client, world.a.users["company_admin"])
    assert client.get(reverse("jobs:position_browse")).status_code == 403
    assert client.get("/api/v1/jobs/me").status_code == 403


def test_an_employer_registers_only_for_its_associations_fairs(client, world):
    other_association = Association.objects.create(name="别的协会", short_name="别协")
    foreign = Fair.all_tenants.create(
        association=other_association,
        title="外会招聘会",
        starts_on="2020-03-25",
        ends_on="2020-03-26",
        published=True,
    )
    fair = Fair.all_tenants.create(
        association=world.association,
        title="秋季招聘会",
        starts_on="2020-09-25",
        ends_on="2020-09-26",
        published=True,
    )
    booth = {"booth_name": "a展位", "contact_name": "张", "phone": "13800138000", "booth_staff": 2}
    login(client, world.a.users["company_admin"])
    assert client.get(reverse("jobs:register", args=[foreign.pk])).status_code == 404
    assert (
        post(client, f"/api/v1/jobs/employer/fairs/{foreign.pk}/register", booth).status_code == 404
    )
    assert client.get(reverse("jobs:register", args=[fair.pk])).status_code == 200
    response = post(client, f"/api/v1/jobs/employer/fairs/{fair.pk}/register", booth)
    assert response.status_code == 200 and response.json()["state"] == "pending"
    assert response.json()["phone"] == "138****8000"
    twice = post(client, f"/api/v1/jobs/employer/fairs/{fair.pk}/register", booth)
    assert twice.status_code == 422
    # a company that is not an active member may not register
    world.b.company.status = "suspended"
    world.b.company.save(update_fields=["status"])
    client.logout()
    login(client, world.b.users["company_admin"])
    refused = post(client, f"/api/v1/jobs/employer/fairs/{fair.pk}/register", booth)
    assert refused.status_code == 422
    assert not Employer.all_tenants.filter(fair=fair, company=world.b.company).exists()
    # a guard has no right to register
    client.logout()
    login(client, world.a.users["guard"])
    assert post(client, f"/api/v1/jobs/employer/fairs/{fair.pk}/register", booth).status_code == 403


def test_the_association_desk_reaches_its_own_fairs_only(client, world):
    fair = world.fair
    other_association = Association.objects.create(name="别的协会", short_name="别协")
    foreign = Fair.all_tenants.create(
        association=other_association,
        title="外会招聘会",
        starts_on="2020-03-25",
        ends_on="2020-03-26",
    )
    for user in (None, world.a.users["company_admin"], world.a.users["graduate"]):
        client.logout()
        if user:
            login(client, user)
        for name in ("jobs:fair_list", "jobs:fair_create", "jobs:employer_list"):
            assert client.get(reverse(name)).status_code in (302, 403), (user, name)
        assert client.get(reverse("jobs:figures", args=[fair.pk])).status_code in (302, 403)
        assert client.get("/api/v1/jobs/fairs").status_code in (401, 403)
    client.logout()
    login(client, world.users["association_admin"])
    page = client.get(reverse("jobs:fair_list"))
    assert [f.pk for f in page.context["object_list"]] == [fair.pk]
    for name, args in (
        ("jobs:fair_create", []),
        ("jobs:fair_edit", [fair.pk]),
        ("jobs:figures", [fair.pk]),
        ("jobs:employer_list", []),
        ("jobs:employer_decide", [world.a.job_employer.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 200, name
    for name in ("jobs:fair_edit", "jobs:figures"):
        assert client.get(reverse(name, args=[foreign.pk])).status_code == 404
    assert client.get(f"/api/v1/jobs/fairs/{foreign.pk}/figures").status_code == 404
    figures = client.get(f"/api/v1/jobs/fairs/{fair.pk}/figures").json()
    assert figures == {
        "employers": 2,
        "positions": 2,
        "headcount": 10,
        "graduates": 2,
        "applications": 2,
        "interviews": 0,
        "offers": 0,
        "booth_staff": 6,
        "visitor_days": 0,
        "participants": 8,
    }
    export = client.get(reverse("jobs:figures", args=[fair.pk]), {"export": "xlsx"})
    assert export.status_code == 200
    items = client.get("/api/v1/jobs/employers").json()["items"]
    assert {i["id"] for i in items} == {world.a.job_employer.pk, world.b.job_employer.pk}
    created = post(
        client,
        "/api/v1/jobs/fairs",
        {"title": "春季", "starts_on": "2021-03-01", "ends_on": "2021-02-01"},
    )
    assert created.status_code == 422 and created.json()["detail"][0]["loc"][-1] == "ends_on"
    created = post(
        client,
        "/api/v1/jobs/fairs",
        {"title": "春季", "starts_on": "2021-03-01", "ends_on": "2021-03-02"},
    )
    assert created.status_code == 200
    assert post(client, f"/api/v1/jobs/fairs/{foreign.pk}", created.json()).status_code == 404
    updated = post(
        client, f"/api/v1/jobs/fairs/{created.json()['id']}", created.json() | {"published": True}
    )
    assert updated.json()["published"] is True
    decided = post(
        client, f"/api/v1/jobs/employers/{world.a.job_employer.pk}/decide", {"verified": False}
    )
    assert decided.json()["state"] == "rejected"


def test_personal_data_is_sealed_and_masked(client, world):
    graduate = world.a.job_graduate
    row = Graduate.all_tenants.filter(pk=graduate.pk).values().get()
    assert "13500000001" not in str(row) and row["phone_masked"] == "135****0001"
    assert row["id_number_masked"].endswith(graduate.id_number_last4)
    assert get_personal(graduate, "phone") == "13500000001"
    login(client, world.a.users["company_admin"])
    page = client.get(reverse("jobs:application_detail", args=[world.a.job_application.pk]))
    assert b"135****0001" in page.content and b"13500000001" not in page.content
    item = client.get("/api/v1/jobs/employer/applications").json()["items"][0]
    assert item["phone"] == "135****0001"
    # the CV: its employer only
    cv = client.get(reverse("jobs:cv_download", args=[world.a.job_application.pk]))
    assert cv.status_code == 200 and b"".join(cv.streaming_content) == PDF
    assert (
        client.get(reverse("jobs:cv_download", args=[world.b.job_application.pk])).status_code
        == 404
    )


def test_the_employer_export_holds_only_its_consenting_applicants(client, world):
    from io import BytesIO

    from openpyxl import load_workbook

    a = world.a
    Graduate.all_tenants.filter(pk=world.b.job_graduate.pk).update(consent=False)
    # b's graduate also applied to a's position, then withdrew its consent
    Application.all_tenants.create(
        company=a.company, fair=world.fair, position=a.job_position, graduate=world.b.job_graduate
    )
    login(client, a.users["guard"])
    assert client.get(reverse("jobs:application_list"), {"export": "xlsx"}).status_code == 403
    client.logout()
    login(client, a.users["company_admin"])
    response = client.get(reverse("jobs:application_list"), {"export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "毕业生1"
    # company admins hold the reveal permission: the phone in full, and the export audited
    assert rows[1][4] == "13500000001"
    listed = client.get(reverse("jobs:application_list"))
    assert len(listed.context["object_list"]) == 2
