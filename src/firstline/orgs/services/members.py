"""Writes of the association's members registry: a member company and its membership."""

from django.db import transaction
from django.utils import timezone

from firstline.core.personal.normalise import normalise_credit_code
from firstline.core.services import audit_record, changes_of, snapshot
from firstline.orgs.models import Association, AuditAction, Company, Membership

COMPANY_FIELDS = [
    "name",
    "credit_code",
    "division",
    "contact_name",
    "contact_phone",
    "address",
    "status",
]


@transaction.atomic
def company_create(*, actor, association: Association, data: dict) -> Company:
    """A new member company and its membership of `association`."""
    company = Company(**{k: data[k] for k in COMPANY_FIELDS if k in data})
    company.credit_code = normalise_credit_code(company.credit_code)
    company.full_clean()
    company.save()
    Membership.objects.create(
        company=company, association=association, joined_on=timezone.localdate()
    )
    audit_record(
        actor=actor,
        company_id=company.pk,
        action=AuditAction.COMPANY_CREATE,
        obj=company,
        changes=changes_of(company, COMPANY_FIELDS),
    )
    return company


@transaction.atomic
def company_update(*, actor, company: Company, data: dict) -> Company:
    before = snapshot(company, COMPANY_FIELDS)
    for k in COMPANY_FIELDS:
        if k in data:
            setattr(company, k, data[k])
    company.credit_code = normalise_credit_code(company.credit_code)
    company.full_clean()
    company.save()
    audit_record(
        actor=actor,
        company_id=company.pk,
        action=AuditAction.COMPANY_UPDATE,
        obj=company,
        changes=changes_of(company, COMPANY_FIELDS, before),
    )
    return company
