"""The test world furnished for consultations: the association's categories, and for
each company (world.a, world.b) an answered consultation with a reply and a file,
assigned to an expert of its own (`tenant.users["expert"]`, who is assigned to that
consultation only); an expert with no assignment (`world.users["expert_free"]`); the
association's desk is world.users["association_admin"]; one upcoming session.
Rows are made directly, so a test sees exactly what it made; the services are
tested on their own."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from firstline.consultations.models import (
    Assignment,
    Attachment,
    Category,
    Consultation,
    Expert,
    Message,
    Session,
)
from firstline.consultations.services.pool import categories_ensure
from firstline.core.roles import Role
from firstline.orgs.models import RoleAssignment
from firstline.testing.world import Tenant, World, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_expert(world: World, username: str, name: str, **extra) -> Expert:
    user = make_user(username)
    user.display_name = name
    user.save(update_fields=["display_name"])
    RoleAssignment.objects.create(user=user, role=Role.EXPERT, association=world.association)
    return Expert.all_tenants.create(
        association=world.association,
        user=user,
        name=name,
        kind=extra.pop("kind", Expert.Kind.LAWYER),
        areas=extra.pop("areas", ["rent", "labour"]),
        **extra,
    )


def make_consultation(
    tenant: Tenant, category: Category, *, title: str, status=Consultation.Status.NEW, **extra
) -> Consultation:
    now = timezone.now()
    return Consultation.all_tenants.create(
        company=tenant.company,
        association_id=category.association_id,
        category=category,
        region=tenant.company.division,
        title=title,
        description=extra.pop("description", "疫情期间商户要求减免租金，物业服务企业应如何处理？"),
        status=status,
        asked_by=tenant.users["company_admin"],
        first_reply_due=extra.pop("first_reply_due", now + timedelta(hours=24)),
        resolution_due=extra.pop("resolution_due", now + timedelta(hours=120)),
        **extra,
    )


def furnish(world: World) -> World:
    categories = {c.kind: c for c in categories_ensure(world.association)}
    world.categories = categories
    for tenant in (world.a, world.b):
        key = tenant.company.name[0]
        expert = make_expert(world, f"{key}_expert", f"{key}律师")
        tenant.users["expert"] = expert.user
        tenant.expert = expert
        tenant.category = categories["rent"]
        c = make_consultation(
            tenant,
            categories["rent"],
            title=f"{key}商户租金减免",
            status=Consultation.Status.ANSWERED,
            first_replied_at=timezone.now(),
        )
        Assignment.all_tenants.create(company=tenant.company, consultation=c, expert=expert)
        Message.all_tenants.create(
            company=tenant.company,
            consultation=c,
            author=expert.user,
            author_name=expert.name,
            side=Message.Side.EXPERT,
            body="可以协商减免，并保留书面协议。",
        )
        attachment = Attachment(
            company=tenant.company,
            consultation=c,
            name="租赁合同.pdf",
            content_type="application/pdf",
            size=len(PDF),
        )
        attachment.file.save("contract.pdf", ContentFile(PDF), save=False)
        attachment.save()
        tenant.consultation = c
        tenant.attachment = attachment
        # The second site of the company shares the company's rows (company-level).
        tenant.sibling.consultation = c
        tenant.sibling.attachment = attachment
    world.users["expert_free"] = make_expert(world, "expert_free", "空闲专家").user
    world.session = Session.all_tenants.create(
        association=world.association,
        expert=world.a.expert,
        topic="复工复产中的租金与用工",
        starts_at=timezone.now() + timedelta(days=3),
        meeting_link="https://meeting.example.com/j/123",
        capacity=2,
    )
    return world
