"""The association's members registry."""

import pytest
from django.urls import reverse

from firstline.orgs.models import AuditAction, Company, Membership
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import PASSWORD, make_credit_code

MEMBERS = "the association's registry of member companies: a company is not a site's"


class TestMembersTenancy(TenancyCases):
    routes = [
        Page("company_list", company_level=MEMBERS),
        Page("company_detail", obj=lambda t: t.company, company_level=MEMBERS),
        Page(
            "company_edit",
            obj=lambda t: t.company,
            viewer="company_admin",
            write={"name": "改名"},
            company_level=MEMBERS,
        ),
    ]
    explicit = {"company_create": "test_company_admin_cannot_create_members"}


@pytest.fixture
def assoc_client(client, world):
    client.login(username=world.users["association_admin"].username, password=PASSWORD)
    return client


def test_association_sees_its_members_only(assoc_client, world):
    outsider = Company.objects.create(
        name="非会员物业", credit_code=make_credit_code(99), division=world.divisions["420103"]
    )
    names = [c.name for c in assoc_client.get(reverse("company_list")).context["object_list"]]
    assert names == sorted([world.a.company.name, world.b.company.name])
    assert assoc_client.get(reverse("company_detail", args=[outsider.pk])).status_code == 404


def test_create_member_validates_credit_code_and_adds_membership(assoc_client, world):
    data = {
        "association": world.association.pk,
        "name": "武汉新城物业",
        "credit_code": "91420100MA0000001X",
        "division": world.divisions["420103"].pk,
        "status": "active",
    }
    response = assoc_client.post(reverse("company_create"), data)
    assert "credit_code" in response.context["form"].errors
    assert not Company.objects.filter(name="武汉新城物业").exists()

    data["credit_code"] = make_credit_code(42).lower()
    response = assoc_client.post(reverse("company_create"), data)
    company = Company.objects.get(name="武汉新城物业")
    assert response["Location"] == company.get_absolute_url()
    assert company.credit_code == make_credit_code(42)
    assert Membership.objects.filter(company=company, association=world.association).exists()
    page = assoc_client.get(company.get_absolute_url())
    assert [(e.action, e.changes["name"]) for e in page.context["history"]] == [
        (AuditAction.COMPANY_CREATE, [None, "武汉新城物业"])
    ]
    assert '<span class="badge text-bg-light border mx-1">新建企业</span>' in page.content.decode()


def test_company_admin_cannot_create_members(client, world):
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    assert client.get(reverse("company_create")).status_code == 403
