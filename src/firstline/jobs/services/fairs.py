"""The association's fairs, member companies' registrations (booths) and their
verification, positions, and the public page's daily visitors."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.personal.fields import set_personal
from firstline.core.personal.identity import validate_phone
from firstline.core.personal.normalise import normalise_phone
from firstline.core.services import audit_record, changes_of, snapshot, stored_actor
from firstline.jobs.models import AuditAction, Employer, Fair, FairVisit, Position
from firstline.orgs.models import Company, Membership
from firstline.publishing.services.search import segment_for_index

FAIR_FIELDS = ["title", "starts_on", "ends_on", "description", "published"]
BOOTH_FIELDS = ["booth_name", "introduction", "contact_name", "booth_staff"]
POSITION_FIELDS = [
    "title",
    "city",
    "salary_min",
    "salary_max",
    "requirements",
    "headcount",
    "state",
]
MAX_SALARY = 1_000_000


@transaction.atomic
def fair_save(*, actor, association, data: dict, fair: Fair | None = None) -> Fair:
    """Create the association's fair, or edit it."""
    starts, ends = data.get("starts_on"), data.get("ends_on")
    title = (data.get("title") or "").strip()
    errors = {}
    if not title:
        errors["title"] = [_("请填写招聘会名称。")]
    if not isinstance(starts, date):
        errors["starts_on"] = [_("请填写开始日期。")]
    if not isinstance(ends, date):
        errors["ends_on"] = [_("请填写结束日期。")]
    elif isinstance(starts, date) and ends < starts:
        errors["ends_on"] = [_("结束日期不能早于开始日期。")]
    if errors:
        raise ValidationError(errors)
    if fair is None:
        fair = Fair(association_id=association.pk)
        before = None
    else:
        fair = Fair.all_tenants.select_for_update().get(pk=fair.pk)
        before = snapshot(fair, FAIR_FIELDS)
    fair.title = title[:128]
    fair.starts_on, fair.ends_on = starts, ends
    fair.description = (data.get("description") or "").strip()
    fair.published = bool(data.get("published"))
    fair.save()
    audit_record(
        actor=actor,
        company_id=None,
        action=AuditAction.FAIR_SAVE,
        obj=fair,
        changes=changes_of(fair, FAIR_FIELDS, before),
    )
    return fair


def _is_verified_member(company_id: int, association_id: int) -> bool:
    active = Company.objects.filter(pk=company_id, status=Company.Status.ACTIVE).exists()
    member = Membership.objects.filter(
        company_id=company_id,
        association_id=association_id,
        status=Membership.Status.ACTIVE,
    ).exists()
    return active and member


def _booth(employer: Employer, data: dict) -> None:
    errors = {}
    name = (data.get("booth_name") or "").strip()
    contact = (data.get("contact_name") or "").strip()
    phone = normalise_phone(data.get("phone") or "")
    staff = data.get("booth_staff")
    if not name:
        errors["booth_name"] = [_("请填写展位名称。")]
    if not contact:
        errors["contact_name"] = [_("请填写展位联系人。")]
    try:
        validate_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    if not isinstance(staff, int) or not 1 <= staff <= 200:
        errors["booth_staff"] = [_("展位工作人员数应为 1 到 200。")]
    if errors:
        raise ValidationError(errors)
    employer.booth_name = name[:128]
    employer.contact_name = contact[:64]
    employer.introduction = (data.get("introduction") or "").strip()
    employer.booth_staff = staff
    set_personal(employer, "phone", phone)


@transaction.atomic
def employer_register(*, actor, company, fair: Fair, data: dict) -> Employer:
    """A member company registers for a fair (its booth); the association verifies it.
    Only an active company that is an active member of the fair's association may."""
    if not _is_verified_member(company.pk, fair.association_id):
        raise ValidationError(_("只有协会正式会员企业可以报名参会。"))
    employer = Employer(company_id=company.pk, fair=fair)
    _booth(employer, data)
    try:
        with transaction.atomic():
            employer.save()
    except IntegrityError:
        raise ValidationError(_("本企业已报名该招聘会。")) from None
    audit_record(
        actor=actor,
        company_id=company.pk,
        action=AuditAction.EMPLOYER_REGISTER,
        obj=employer,
        changes=changes_of(employer, BOOTH_FIELDS),
    )
    return employer


@transaction.atomic
def employer_update(*, actor, employer: Employer, data: dict) -> Employer:
    employer = Employer.all_tenants.select_for_update().get(pk=employer.pk)
    before = snapshot(employer, BOOTH_FIELDS)
    _booth(employer, data)
    employer.save()
    audit_record(
        actor=actor,
        company_id=employer.company_id,
        action=AuditAction.EMPLOYER_UPDATE,
        obj=employer,
        changes=changes_of(employer, BOOTH_FIELDS, before),
    )
    return employer


@transaction.atomic
def employer_decide(*, actor, employer: Employer, verified: bool, note: str = "") -> Employer:
    """The association verifies (or refuses) a registration."""
    employer = Employer.all_tenants.select_for_update().select_related("fair").get(pk=employer.pk)
    if verified and not _is_verified_member(employer.company_id, employer.fair.association_id):
        raise ValidationError(_("该企业已不是协会正式会员，不能通过。"))
    old = employer.state
    employer.state = Employer.State.VERIFIED if verified else Employer.State.REJECTED
    employer.note = (note or "").strip()[:200]
    employer.decided_at = timezone.now()
    employer.decided_by = stored_actor(actor)
    employer.save()
    audit_record(
        actor=actor,
        company_id=employer.company_id,
        action=AuditAction.EMPLOYER_DECIDE,
        obj=employer,
        changes={"state": [old, employer.state], "note": [None, employer.note]},
    )
    return employer


def position_words(*parts: str) -> str:
    words = []
    for part in parts:
        words.extend(segment_for_index(part or ""))
    return " " + " ".join(dict.fromkeys(words)) + " "


@transaction.atomic
def position_save(
    *, actor, employer: Employer, data: dict, position: Position | None = None
) -> Position:
    """Post a position at the employer's booth, or edit it. The booth must be verified."""
    if employer.state != Employer.State.VERIFIED:
        raise ValidationError(_("展位通过协会审核后才能发布职位。"))
    errors = {}
    title = (data.get("title") or "").strip()
    city = (data.get("city") or "").strip()
    low, high, count = data.get("salary_min"), data.get("salary_max"), data.get("headcount")
    if not title:
        errors["title"] = [_("请填写职位名称。")]
    if not city:
        errors["city"] = [_("请填写工作城市。")]
    if not isinstance(low, int) or not 0 <= low <= MAX_SALARY:
        errors["salary_min"] = [_("月薪下限应为 0 到 1000000 元。")]
    if not isinstance(high, int) or not 0 <= high <= MAX_SALARY:
        errors["salary_max"] = [_("月薪上限应为 0 到 1000000 元。")]
    elif isinstance(low, int) and high < low:
        errors["salary_max"] = [_("月薪上限不能低于下限。")]
    if not isinstance(count, int) or not 1 <= count <= 1000:
        errors["headcount"] = [_("招聘人数应为 1 到 1000。")]
    state = data.get("state") or Position.State.OPEN
    if state not in Position.State.values:
        errors["state"] = [_("未知的状态。")]
    if errors:
        raise ValidationError(errors)
    if position is None:
        position = Position(
            company_id=employer.company_id, fair_id=employer.fair_id, employer=employer
        )
        before = None
    else:
        position = Position.all_tenants.select_for_update().get(pk=position.pk)
        before = snapshot(position, POSITION_FIELDS)
    position.title, position.city = title[:128], city[:32]
    position.salary_min, position.salary_max, position.headcount = low, high, count
    position.requirements = (data.get("requirements") or "").strip()
    position.state = state
    position.search_words = position_words(
        position.title, position.city, position.requirements, employer.booth_name
    )
    position.save()
    audit_record(
        actor=actor,
        company_id=position.company_id,
        action=AuditAction.POSITION_SAVE,
        obj=position,
        changes=changes_of(position, POSITION_FIELDS, before),
    )
    return position


def fair_visit_record(*, fair: Fair, visitor_key: str, day: date) -> bool:
    """Count a visitor of the public page once a day; True when it is the first time."""
    _row, created = FairVisit.all_tenants.get_or_create(
        fair=fair,
        day=day,
        visitor_key=visitor_key,
        defaults={"association_id": fair.association_id},
    )
    return created
