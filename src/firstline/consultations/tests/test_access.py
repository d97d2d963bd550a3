"""Who may do what outside the shared matrix: the desk's pages and actions are the
association's (a company's admin and an expert get 403), asking is for one's own
company, resolving is the assigned expert's or the desk's, a conflict of interest
keeps an expert off a company, the FAQ from answers, figures, sessions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from firstline.consultations.models import (
    Conflict,
    Consultation,
    Expert,
    FaqDraft,
    Registration,
    Session,
)
from firstline.consultations.tests.furnish import furnish
from firstline.core.roles import Role
from firstline.orgs.models import RoleAssignment
from firstline.publishing.models import FaqItem, FaqPage
from firstline.testing.world import PASSWORD, World

pytestmark = pytest.mark.django_db
API = "/api/v1/consultations"


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)


def test_ask_only_for_own_company(client, world: World):
    body = {
        "category_id": world.a.category.pk,
        "title": "员工返岗隔离期工资",
        "description": "如何发放？",
    }
    assert (
        client.post(f"{API}/consultations", body, content_type="application/json").status_code
        == 401
    )
    login(client, world.a.users["guard"])
    assert (
        client.post(f"{API}/consultations", body, content_type="application/json").status_code
        == 403
    )
    login(client, world.a.users["company_admin"])
    answer = client.post(f"{API}/consultations", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    made = answer.json()
    assert made["company_id"] == world.a.company.pk and made["status"] == "new"
    assert made["region_id"] == world.a.company.division_id
    other = {**body, "company_id": world.b.company.pk}
    before = Consultation.all_tenants.filter(company=world.b.company).count()
    assert (
        client.post(f"{API}/consultations", other, content_type="application/json").status_code
        == 404
    )
    assert Consultation.all_tenants.filter(company=world.b.company).count() == before
    # Bad input: a clear 422 naming the field, never a 500.
    for bad, field in (
        ({**body, "title": ""}, "title"),
        ({**body, "urgency": "very"}, "urgency"),
        ({**body, "description": "x" * 5001}, "description"),
    ):
        response = client.post(f"{API}/consultations", bad, content_type="application/json")
        assert response.status_code == 422
        assert field in response.json()["detail"][0]["loc"]
    # The page: the company field offers the user's own company only.
    page = client.get(reverse("consultations:ask"))
    assert list(page.context["form"].fields["company"].queryset) == [world.a.company]


def test_the_desk_assigns_and_nobody_else(client, world: World):
    c = world.a.consultation
    url = reverse("consultations:assign", args=[c.pk])
    free = world.users["expert_free"]
    for user in (world.a.users["company_admin"], world.a.users["expert"], free):
        login(client, user)
        assert client.get(url).status_code == 403
        response = client.post(
            f"{API}/consultations/{c.pk}/assign",
            {"expert_ids": [world.b.expert.pk]},
            content_type="application/json",
        )
        assert response.status_code in (403, 404)
    assert c.assignments.count() == 1
    login(client, world.users["association_admin"])
    page = client.get(url)
    assert page.status_code == 200
    offered = {e.pk for e in page.context["form"].choices_rows}
    assert world.b.expert.pk in offered
    response = client.post(url, {"experts": [world.b.expert.pk]})
    assert response.status_code == 302
    assert set(c.assignments.values_list("expert_id", flat=True)) == {
        world.a.expert.pk,
        world.b.expert.pk,
    }
    # The API too; an expert of no pool is a 404, none at all a 422.
    response = client.post(
        f"{API}/consultations/{c.pk}/assign", {"expert_ids": []}, content_type="application/json"
    )
    assert response.status_code == 422
    response = client.post(
        f"{API}/consultations/{c.pk}/assign",
        {"expert_ids": [999999]},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_resolve_by_expert_or_desk_only(client, world: World):
    c = world.a.consultation
    url = reverse("consultations:resolve", args=[c.pk])
    login(client, world.users["expert_free"])
    assert client.post(url).status_code == 404
    login(client, world.b.users["expert"])
    assert client.post(url).status_code == 404
    login(client, world.a.users["company_admin"])
    assert client.post(url).status_code == 403
    c.refresh_from_db()
    assert c.status == Consultation.Status.ANSWERED
    login(client, world.a.users["expert"])
    assert client.post(url).status_code == 302
    c.refresh_from_db()
    assert c.status == Consultation.Status.RESOLVED and c.resolved_at is not None


DESK_PAGES = [
    ("consultations:expert_list", None),
    ("consultations:expert_create", None),
    ("consultations:expert_detail", "expert"),
    ("consultations:expert_edit", "expert"),
    ("consultations:category_list", None),
    ("consultations:category_edit", "category"),
    ("consultations:faq_list", None),
    ("consultations:figures", None),
    ("consultations:session_create", None),
]


def _desk_url(world, name, arg):
    if arg == "expert":
        return reverse(name, args=[world.a.expert.pk])
    if arg == "category":
        return reverse(name, args=[world.a.category.pk])
    return reverse(name)


def test_desk_pages_are_the_desk_s(client, world: World):
    for name, arg in DESK_PAGES:
        url = _desk_url(world, name, arg)
        client.logout()
        assert client.get(url).status_code == 302, name
        for user in (world.a.users["company_admin"], world.a.users["expert"]):
            login(client, user)
            assert client.get(url).status_code == 403, (name, user.username)
        login(client, world.users["association_admin"])
        assert client.get(url).status_code == 200, name
    # The desk's queue holds both companies' consultations; a company's list its own.
    response = client.get(reverse("consultations:list"))
    assert {c.pk for c in response.context["object_list"]} == {
        world.a.consultation.pk,
        world.b.consultation.pk,
    }
    login(client, world.a.users["company_admin"])
    response = client.get(reverse("consultations:list"))
    assert [c.pk for c in response.context["object_list"]] == [world.a.consultation.pk]
    # The desk edits a category's service levels; a bad pair is a form error.
    login(client, world.users["association_admin"])
    url = reverse("consultations:category_edit", args=[world.a.category.pk])
    bad = client.post(url, {"first_reply_hours": 48, "resolution_hours": 24, "active": "on"})
    assert bad.status_code == 200 and bad.context["form"].errors
    ok = client.post(url, {"first_reply_hours": 12, "resolution_hours": 48, "active": "on"})
    assert ok.status_code == 302
    world.a.category.refresh_from_db()
    assert (world.a.category.first_reply_hours, world.a.category.resolution_hours) == (12, 48)
    # The desk adds an expert: a new login with the expert role, its password shown once.
    response = client.post(
        reverse("consultations:expert_create"),
        {
            "username": "tax_1",
            "name": "王税务",
            "kind": "tax_adviser",
            "areas": ["tax"],
            "max_open": 3,
        },
    )
    assert response.status_code == 302
    expert = Expert.all_tenants.get(user__username="tax_1")
    assert expert.areas == ["tax"] and expert.association_id == world.association.pk
    assert RoleAssignment.objects.filter(
        user=expert.user, role=Role.EXPERT, association=world.association
    ).exists()
    # … and edits it: a bad cap is a form error, a good edit is kept.
    edit = reverse("consultations:expert_edit", args=[expert.pk])
    fields = {"name": "王税务", "kind": "tax_adviser", "areas": ["tax", "other"]}
    assert client.post(edit, {**fields, "max_open": 0}).context["form"].errors
    assert client.post(edit, {**fields, "max_open": 4}).status_code == 302
    expert.refresh_from_db()
    assert (expert.max_open, expert.areas, expert.active) == (4, ["tax", "other"], False)


def test_conflict_keeps_an_expert_off(client, world: World):
    expert = world.b.expert
    login(client, world.a.users["company_admin"])
    url = reverse("consultations:conflict_create", args=[expert.pk])
    assert client.get(url).status_code == 403
    login(client, world.users["association_admin"])
    response = client.post(url, {"company": world.a.company.pk, "reason": "曾代理该企业诉讼"})
    assert response.status_code == 302
    assert Conflict.all_tenants.filter(expert=expert, company=world.a.company).exists()
    again = client.post(url, {"company": world.a.company.pk, "reason": "重复"})
    assert again.status_code == 200 and again.context["form"].errors
    c = world.a.consultation
    page = client.get(reverse("consultations:assign", args=[c.pk]))
    assert expert.pk not in {e.pk for e in page.context["form"].choices_rows}
    response = client.post(
        f"{API}/consultations/{c.pk}/assign",
        {"expert_ids": [expert.pk]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "利益冲突" in response.json()["detail"][0]["msg"]
    assert not c.assignments.filter(expert=expert).exists()


def test_faq_from_a_resolved_consultation(client, world: World):
    c = world.a.consultation
    create = reverse("consultations:faq_create", args=[c.pk])
    login(client, world.a.users["company_admin"])
    assert client.get(create).status_code == 403
    assert client.get(reverse("consultations:faq_list")).status_code == 403
    login(client, world.users["association_admin"])
    # Not yet resolved: refused on the form.
    refused = client.post(create, {"question": "租金减免怎么办", "answer": "协商"})
    assert refused.status_code == 200 and refused.context["form"].non_field_errors()
    Consultation.all_tenants.filter(pk=c.pk).update(status=Consultation.Status.RESOLVED)
    page = client.get(create)
    initial = page.context["form"].initial
    assert world.a.company.name not in initial["question"] + initial["answer"]
    assert "a律师" not in initial["answer"]
    named = client.post(create, {"question": f"{world.a.company.name}的租金", "answer": "协商"})
    assert named.status_code == 200 and "question" in named.context["form"].errors
    response = client.post(
        create,
        {"question": "疫情期间商户要求减免租金怎么办", "answer": "可以协商减免，并保留书面协议。"},
    )
    assert response.status_code == 302
    draft = FaqDraft.all_tenants.get(consultation=c)
    edit = reverse("consultations:faq_edit", args=[draft.pk])
    assert client.get(edit).status_code == 200
    publish = reverse("consultations:faq_publish", args=[draft.pk])
    assert client.post(publish).status_code == 302  # not confirmed: nothing published
    draft.refresh_from_db()
    assert draft.state == FaqDraft.State.DRAFT
    login(client, world.a.users["company_admin"])
    assert client.post(publish, {"confirmed": "1"}).status_code == 403
    login(client, world.users["association_admin"])
    assert client.post(publish, {"confirmed": "1"}).status_code == 302
    draft.refresh_from_db()
    assert draft.state == FaqDraft.State.PUBLISHED
    page = FaqPage.objects.live().first()
    item = FaqItem.objects.get(pk=draft.faq_item_id)
    assert item.page_id == page.pk and item.question == draft.question
    assert page.revisions.count() >= 1 and not page.has_unpublished_changes
    # While a member types a similar question, the published answer is suggested.
    login(client, world.b.users["company_admin"])
    response = client.get(reverse("consultations:suggest"), {"title": "商户减免租金"})
    assert response.status_code == 200
    assert draft.question in response.content.decode()
    # The public FAQ page shows it.
    assert draft.question in client.get(page.url).content.decode()


def test_figures_and_export_are_the_desk_s(client, world: World):
    for user in (world.a.users["company_admin"], world.a.users["expert"]):
        login(client, user)
        assert client.get(reverse("consultations:figures")).status_code == 403
        assert client.get(f"{API}/figures").status_code == 403
    login(client, world.users["association_admin"])
    Consultation.all_tenants.filter(pk=world.a.consultation.pk).update(
        status=Consultation.Status.CLOSED, rating=4
    )
    response = client.get(f"{API}/figures")
    assert response.status_code == 200
    figures = response.json()
    assert figures["total"]["total"] == 2 and figures["total"]["closed"] == 1
    assert figures["ratings"]["4"] == 1 and figures["total"]["satisfaction"] == 4.0
    rent = next(r for r in figures["by_category"] if r["label"] == "租金与物业费纠纷")
    assert rent["total"] == 2
    export = client.get(reverse("consultations:figures"), {"export": "xlsx"})
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("consultations:figures"), {"export": "pdf"}).status_code == 404


def test_sessions_register_and_attendance(client, world: World):
    session = world.session
    detail = reverse("consultations:session_detail", args=[session.pk])
    register = reverse("consultations:session_register", args=[session.pk])
    client.logout()
    assert client.get(reverse("consultations:session_list")).status_code == 302
    login(client, world.a.users["guard"])
    assert client.get(reverse("consultations:session_list")).status_code == 403
    assert client.post(register, {"question": "x"}).status_code == 403
    login(client, world.a.users["company_admin"])
    response = client.get(reverse("consultations:session_list"))
    assert [s.pk for s in response.context["object_list"]] == [session.pk]
    assert client.get(detail).context["can_register"]
    assert client.post(register, {"question": "隔离期工资怎么发？"}).status_code == 302
    assert client.post(register, {"question": "again"}).status_code == 200  # once per person
    login(client, world.b.users["company_admin"])
    response = client.post(
        f"{API}/sessions/{session.pk}/register", {"question": ""}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["meeting_link"] == session.meeting_link
    # b sees its own registration only, not a's question.
    page = client.get(detail)
    assert [r.company_id for r in page.context["registrations"]] == [world.b.company.pk]
    # Full (capacity 2): the next is refused with a clear error.
    login(client, world.a.users["expert"])
    assert (
        client.post(
            f"{API}/sessions/{session.pk}/register", {}, content_type="application/json"
        ).status_code
        == 403
    )
    Session.all_tenants.filter(pk=session.pk).update(capacity=1)
    login(client, world.a.users["company_admin"])
    Registration.all_tenants.filter(company=world.a.company).delete()
    response = client.post(
        f"{API}/sessions/{session.pk}/register", {}, content_type="application/json"
    )
    assert response.status_code == 422
    # The desk records attendance; a company cannot.
    attendance = reverse("consultations:session_attendance", args=[session.pk])
    reg = Registration.all_tenants.get(session=session)
    assert client.post(attendance, {"attended": [reg.pk]}).status_code == 403
    login(client, world.users["association_admin"])
    assert client.post(attendance, {"attended": [reg.pk]}).status_code == 302
    reg.refresh_from_db()
    assert reg.attended is True
    assert client.post(attendance, {"attended": ["x"]}).status_code == 302
    # The desk schedules one.
    response = client.post(
        reverse("consultations:session_create"),
        {
            "expert": world.a.expert.pk,
            "topic": "税费减免政策解读",
            "starts_at": "2030-03-01T15:00",
            "duration_minutes": 60,
            "meeting_link": "https://meeting.example.com/j/456",
            "capacity": 50,
        },
    )
    assert response.status_code == 302
    assert Session.all_tenants.filter(topic="税费减免政策解读").exists()
