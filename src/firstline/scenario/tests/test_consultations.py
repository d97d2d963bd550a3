"""The demo's consultations (issue #21): thirty questions in every state with five
experts, overdue flags where the service levels passed, an answer published on the
public FAQ page, two sessions; each demo expert sees only what it is assigned, the
first company's admin its own company's questions, the desk all of them."""

import pytest
from django.test import Client
from django.urls import reverse

from firstline.consultations.models import (
    Assignment,
    Conflict,
    Consultation,
    Expert,
    FaqDraft,
    Registration,
    Session,
)
from firstline.publishing.models import FaqItem
from firstline.scenario.tests.shared_world import module_world
from firstline.scenario.world import DEMO_PASSWORD, ScaleOverride

TINY = ScaleOverride(companies=3, sites=6, residents=120, staff=30, batch=60)

pytestmark = pytest.mark.django_db(transaction=False)


world = module_world(TINY, on_commit=True)  # one world for the module's tests


def test_the_consultations_world(world):
    rows = next(s for s in world.steps if s.name == "consultations").rows
    assert rows["consultations"] == Consultation.all_tenants.count() == 30
    assert set(Consultation.all_tenants.values_list("status", flat=True)) == set(
        Consultation.Status.values
    )
    assert Expert.all_tenants.count() == 5
    logins = {a["username"] for a in world.accounts}
    assert {f"expert_{n}" for n in range(1, 6)} <= logins
    # Every assigned one has an expert; none is assigned against a recorded conflict.
    assert not Consultation.all_tenants.exclude(status="new").filter(assignments=None).exists()
    for conflict in Conflict.all_tenants.all():
        assert not Assignment.all_tenants.filter(
            expert=conflict.expert, company=conflict.company
        ).exists()
    # Closed ones carry a rating; answered ones a first reply; some are overdue.
    assert not Consultation.all_tenants.filter(status="closed", rating__isnull=True).exists()
    assert not Consultation.all_tenants.filter(
        status__in=["answered", "awaiting", "resolved", "closed"], first_replied_at=None
    ).exists()
    assert Consultation.all_tenants.filter(first_reply_overdue=True).exists()
    # Knowledge from answers: one published on the public FAQ page, one draft.
    published = FaqDraft.all_tenants.get(state="published")
    assert FaqItem.objects.filter(pk=published.faq_item_id, question=published.question).exists()
    assert FaqDraft.all_tenants.filter(state="draft").count() == 1
    assert Session.all_tenants.count() == 2 and Registration.all_tenants.exists()


def test_demo_logins_see_their_own(world):
    client = Client()
    seen = {}
    for username in ("expert_1", "expert_5", "admin_anju", "assoc_staff"):
        assert client.login(username=username, password=DEMO_PASSWORD)
        response = client.get(reverse("consultations:list"), {"per_page": 100})
        assert response.status_code == 200
        seen[username] = {c.pk for c in response.context["object_list"]}
        client.logout()
    for username in ("expert_1", "expert_5"):
        mine = set(
            Assignment.all_tenants.filter(expert__user__username=username).values_list(
                "consultation_id", flat=True
            )
        )
        assert seen[username] == mine
    anju = set(
        Consultation.all_tenants.filter(company__name="武汉安居物业服务有限公司").values_list(
            "pk", flat=True
        )
    )
    assert anju and seen["admin_anju"] == anju
    assert seen["assoc_staff"] == set(Consultation.all_tenants.values_list("pk", flat=True))
    # An expert opening a consultation not assigned to it: 404.
    other = Consultation.all_tenants.exclude(assignments__expert__user__username="expert_1").first()
    assert client.login(username="expert_1", password=DEMO_PASSWORD)
    assert client.get(reverse("consultations:detail", args=[other.pk])).status_code == 404
