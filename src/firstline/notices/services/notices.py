"""Writing notices: draft, edit, publish, withdraw.

Who may send to whom is decided here, from the sender's grant (one of the actor's
grants with `notices.publish_notice`, named "<target>:<id>"):

- the association → any member company, any site of a member company, any division;
- a company → itself (all its sites) or one of its sites;
- a site → itself;
- an authority (街道/社区) → its division or a division inside it, or one site in it.

Publishing records the sites the notice reaches (`NoticeSite`): the target's sites,
bounded again by the sender (a company's own sites, an association's member
companies' sites, the sites in an authority's division). For the association and
authorities that crosses companies by design, so the site reads here use
`all_tenants`; only ids leave this module.
"""

from __future__ import annotations

import logging
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.roles import Target
from firstline.core.scope import Grant, Scope
from firstline.core.services import audit_record, changes_of, snapshot, stored_actor
from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.notices.models import AuditAction, Notice, NoticeAttachment, NoticeSite
from firstline.notices.services.content import (
    ATTACHMENTS_MAX,
    EXTENSIONS,
    attachment_kind,
    attachment_name,
    body_check,
)
from firstline.orgs.models import Membership

logger = logging.getLogger(__name__)

PUBLISH = "notices.publish_notice"
TITLE_MAX = 120
# The fields a draft's edit may change (the sender stays).
EDITABLE = (
    "target_kind",
    "target_site_id",
    "target_company_id",
    "target_division_id",
    "to_residents",
    "to_staff",
    "title",
    "body",
    "urgency",
    "also_sms",
    "publish_at",
    "expires_at",
)
SENDER_KINDS = {
    Target.ASSOCIATION: Notice.Sender.ASSOCIATION,
    Target.COMPANY: Notice.Sender.COMPANY,
    Target.SITE: Notice.Sender.SITE,
    Target.DIVISION: Notice.Sender.AUTHORITY,
}


# --- the sender ---------------------------------------------------------------------------


def sender_key(grant: Grant) -> str:
    return f"{grant.target}:{grant.target_id}"


def sender_grants(scope: Scope) -> list[Grant]:
    """The grants the scope may publish as, one per target, in the scope's order."""
    seen, out = set(), []
    for grant in scope.for_perm(PUBLISH).grants:
        key = sender_key(grant)
        if grant.target in SENDER_KINDS and key not in seen:
            seen.add(key)
            out.append(grant)
    return out


def sender_grant(scope: Scope, key: str) -> Grant:
    """The publishing grant named `key`; with one grant, `key` may be left out."""
    grants = sender_grants(scope)
    if not key and len(grants) == 1:
        return grants[0]
    for grant in grants:
        if sender_key(grant) == key:
            return grant
    if not key:
        raise ValidationError({"sender": _("请选择发布单位。")})
    raise ValidationError({"sender": _("您不能以该单位的名义发布公告。")})


def grant_of(notice: Notice) -> Grant:
    """The sender of an existing notice, as the grant it was written under."""
    if notice.sender_kind == Notice.Sender.ASSOCIATION:
        return Grant("", Target.ASSOCIATION, notice.association_id)
    if notice.sender_kind == Notice.Sender.COMPANY:
        return Grant("", Target.COMPANY, notice.company_id, notice.company_id)
    if notice.sender_kind == Notice.Sender.SITE:
        return Grant("", Target.SITE, notice.site_id, notice.company_id)
    return Grant("", Target.DIVISION, notice.division_code)


def _sender_fields(grant: Grant) -> dict:
    fields = {"sender_kind": SENDER_KINDS[grant.target]}
    if grant.target == Target.ASSOCIATION:
        fields["association_id"] = grant.target_id
    elif grant.target == Target.COMPANY:
        fields["company_id"] = grant.target_id
    elif grant.target == Target.SITE:
        fields.update(company_id=grant.company_id, site_id=grant.target_id)
    else:
        division = Division.objects.filter(code=grant.target_id).first()
        if division is None:
            raise ValidationError({"sender": _("发布单位的辖区不存在。")})
        fields.update(division_id=division.pk, division_code=division.code)
    return fields


# --- the audience -------------------------------------------------------------------------


def _member_companies(association_id):
    return Membership.objects.filter(
        association_id=association_id, status=Membership.Status.ACTIVE
    ).values("company_id")


def _sites_of_sender(grant: Grant):
    """Every site the sender may reach (a queryset, across companies for the
    association and authorities)."""
    if grant.target == Target.SITE:
        return Site.all_tenants.filter(pk=grant.target_id, company_id=grant.company_id)
    if grant.target == Target.COMPANY:
        return Site.all_tenants.filter(company_id=grant.target_id)
    if grant.target == Target.ASSOCIATION:
        return Site.all_tenants.filter(company_id__in=_member_companies(grant.target_id))
    return Site.all_tenants.filter(community__code__startswith=grant.target_id)


def _to_int(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("请选择有效的选项。")}) from None
    if not 1 <= number <= 2**63 - 1:
        raise ValidationError({field: _("请选择有效的选项。")})
    return number


def _target_fields(grant: Grant, kind: str, site_id, company_id, division_code) -> dict:
    """The target's columns, after checking the sender may send there."""
    if kind not in Notice.TargetKind.values:
        raise ValidationError({"target_kind": _("请选择发送范围。")})
    out = {
        "target_kind": kind,
        "target_site_id": None,
        "target_company_id": None,
        "target_division_id": None,
    }
    if kind == Notice.TargetKind.SITE:
        site_id = _to_int(site_id, "target_site")
        if site_id is None:
            raise ValidationError({"target_site": _("请选择目标项目。")})
        site = _sites_of_sender(grant).filter(pk=site_id).values("pk", "company_id").first()
        if site is None:
            message = {
                Target.SITE: _("项目只能向本项目发布公告。"),
                Target.COMPANY: _("只能向本企业的项目发布公告。"),
                Target.ASSOCIATION: _("该项目不属于本协会的会员企业。"),
                Target.DIVISION: _("该项目不在您的辖区内。"),
            }[grant.target]
            raise ValidationError({"target_site": message})
        out.update(target_site_id=site["pk"], target_company_id=site["company_id"])
    elif kind == Notice.TargetKind.COMPANY:
        company_id = _to_int(company_id, "target_company")
        if company_id is None:
            raise ValidationError({"target_company": _("请选择目标企业。")})
        if grant.target == Target.COMPANY:
            allowed = company_id == grant.target_id
        elif grant.target == Target.ASSOCIATION:
            allowed = _member_companies(grant.target_id).filter(company_id=company_id).exists()
        else:
            allowed = False
        if not allowed:
            message = {
                Target.SITE: _("项目只能向本项目发布公告。"),
                Target.COMPANY: _("只能向本企业发布公告。"),
                Target.ASSOCIATION: _("该企业不是本协会的会员。"),
                Target.DIVISION: _("街道/社区请按辖区或项目发布公告。"),
            }[grant.target]
            raise ValidationError({"target_company": message})
        out["target_company_id"] = company_id
    else:
        code = str(division_code or "").strip()
        if not code:
            raise ValidationError({"target_division": _("请选择目标辖区。")})
        if grant.target == Target.DIVISION:
            allowed = code.startswith(str(grant.target_id))
        else:
            allowed = grant.target == Target.ASSOCIATION
        if not allowed:
            message = {
                Target.SITE: _("项目只能向本项目发布公告。"),
                Target.COMPANY: _("企业请选择本企业或其项目作为发送范围。"),
                Target.DIVISION: _("该辖区不在您的辖区范围内。"),
            }[grant.target]
            raise ValidationError({"target_division": message})
        division = Division.objects.filter(code=code).first()
        if division is None:
            raise ValidationError({"target_division": _("辖区代码不存在。")})
        out["target_division_id"] = division.pk
    return out


def reached_sites(notice: Notice) -> list[tuple[int, int]]:
    """(site id, company id) of every site the notice reaches now: its target, bounded
    by its sender."""
    sites = _sites_of_sender(grant_of(notice))
    if notice.target_kind == Notice.TargetKind.SITE:
        sites = sites.filter(pk=notice.target_site_id)
    elif notice.target_kind == Notice.TargetKind.COMPANY:
        sites = sites.filter(company_id=notice.target_company_id)
    else:
        code = Division.objects.filter(pk=notice.target_division_id).values_list("code", flat=True)
        sites = sites.filter(community__code__startswith=code.first() or "-")
    return list(sites.order_by("id").values_list("pk", "company_id"))


# --- the content --------------------------------------------------------------------------


def _content_fields(
    *, title, body, urgency, also_sms, to_residents, to_staff, publish_at, expires_at
) -> dict:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("请填写标题。")})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": _("标题不能超过 %(n)d 个字。") % {"n": TITLE_MAX}})
    if urgency not in Notice.Urgency.values:
        raise ValidationError({"urgency": _("请选择紧急程度。")})
    if not (to_residents or to_staff):
        raise ValidationError({"to_residents": _("请至少选择居民或员工之一。")})
    if also_sms and urgency != Notice.Urgency.URGENT:
        raise ValidationError({"also_sms": _("只有紧急公告可以同时发送短信。")})
    if expires_at is not None:
        start = publish_at or timezone.now()
        if expires_at <= start:
            raise ValidationError({"expires_at": _("截止时间必须晚于发布时间。")})
    return {
        "title": title,
        "body": body_check(body),
        "urgency": urgency,
        "also_sms": bool(also_sms),
        "to_residents": bool(to_residents),
        "to_staff": bool(to_staff),
        "publish_at": publish_at,
        "expires_at": expires_at,
    }


def _attach(notice: Notice, uploads) -> list[NoticeAttachment]:
    uploads = [u for u in uploads or () if u is not None]
    if not uploads:
        return []
    existing = NoticeAttachment.all_tenants.filter(notice=notice).count()
    if existing + len(uploads) > ATTACHMENTS_MAX:
        raise ValidationError(
            {"attachment": _("每条公告最多 %(n)d 个附件。") % {"n": ATTACHMENTS_MAX}}
        )
    made = []
    for upload in uploads:
        content_type = attachment_kind(upload)
        attachment = NoticeAttachment(
            notice=notice,
            name=attachment_name(upload.name),
            content_type=content_type,
            size=upload.size,
        )
        # Stored under a name of our choosing; the uploader's name is only shown.
        stored = f"{uuid.uuid4().hex}{EXTENSIONS[content_type]}"
        attachment.file.save(stored, upload, save=False)
        attachment.save()
        made.append(attachment)
    return made


def _files(files) -> dict:
    """The audit's note of files attached (the history's "文件")."""
    return {"file": "、".join(f.name for f in files)} if files else {}


WATCHED = [
    "title",
    "target_kind",
    "target_site_id",
    "target_company_id",
    "target_division_id",
    "to_residents",
    "to_staff",
    "urgency",
    "also_sms",
    "publish_at",
    "expires_at",
    "state",
]


def notice_create(
    *,
    actor,
    scope: Scope,
    sender: str = "",
    target_kind: str,
    target_site=None,
    target_company=None,
    target_division: str = "",
    to_residents: bool = True,
    to_staff: bool = False,
    title: str,
    body: str,
    urgency: str = Notice.Urgency.NORMAL,
    also_sms: bool = False,
    publish_at=None,
    expires_at=None,
    attachments=(),
) -> Notice:
    """A draft notice from one of the actor's publishing grants (`sender`)."""
    grant = sender_grant(scope, sender)
    fields = {
        **_sender_fields(grant),
        **_target_fields(grant, target_kind, target_site, target_company, target_division),
        **_content_fields(
            title=title,
            body=body,
            urgency=urgency,
            also_sms=also_sms,
            to_residents=to_residents,
            to_staff=to_staff,
            publish_at=publish_at,
            expires_at=expires_at,
        ),
    }
    with transaction.atomic():
        notice = Notice.objects.create(**fields, created_by=stored_actor(actor))
        files = _attach(notice, attachments)
        audit_record(
            actor=actor,
            company_id=notice.company_id,
            action=AuditAction.NOTICE_CREATE,
            obj=notice,
            changes={**changes_of(notice, WATCHED), **_files(files)},
        )
    return notice


def notice_update(
    *,
    actor,
    notice: Notice,
    target_kind: str,
    target_site=None,
    target_company=None,
    target_division: str = "",
    to_residents: bool = True,
    to_staff: bool = False,
    title: str,
    body: str,
    urgency: str = Notice.Urgency.NORMAL,
    also_sms: bool = False,
    publish_at=None,
    expires_at=None,
    attachments=(),
) -> Notice:
    """Change a draft (a published notice is withdrawn and written anew); its sender stays."""
    grant = grant_of(notice)
    fields = {
        **_target_fields(grant, target_kind, target_site, target_company, target_division),
        **_content_fields(
            title=title,
            body=body,
            urgency=urgency,
            also_sms=also_sms,
            to_residents=to_residents,
            to_staff=to_staff,
            publish_at=publish_at,
            expires_at=expires_at,
        ),
    }
    with transaction.atomic():
        locked = Notice.all_tenants.select_for_update().get(pk=notice.pk)
        if locked.state != Notice.State.DRAFT:
            raise ValidationError(_("公告已发布或撤回，不能再修改。"))
        before = snapshot(locked, WATCHED)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        files = _attach(locked, attachments)
        changes = changes_of(locked, WATCHED, before)
        changes.update(_files(files))
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.NOTICE_UPDATE,
            obj=locked,
            changes=changes,
        )
    return locked


def notice_publish(*, actor, notice: Notice, now=None) -> Notice:
    """Publish a draft: now, or at its publish time if that is later. Records the sites
    it reaches and, for an urgent notice sent also by text message, queues the
    messages once committed (to run at the publish time when the task backend can
    wait, at once otherwise)."""
    from firstline.notices.tasks import notice_sms_enqueue

    now = now or timezone.now()
    with transaction.atomic():
        locked = Notice.all_tenants.select_for_update().get(pk=notice.pk)
        if locked.state != Notice.State.DRAFT:
            raise ValidationError(_("只有草稿可以发布。"))
        publish_at = locked.publish_at if locked.publish_at and locked.publish_at > now else now
        if locked.expires_at is not None and locked.expires_at <= publish_at:
            raise ValidationError({"expires_at": _("截止时间已过，请先修改截止时间。")})
        sites = reached_sites(locked)
        if not sites:
            raise ValidationError(_("发送范围内没有项目，无法发布。"))
        NoticeSite.objects.bulk_create(
            [
                NoticeSite(
                    notice=locked,
                    site_id=site_id,
                    company_id=company_id,
                    to_residents=locked.to_residents,
                    to_staff=locked.to_staff,
                )
                for site_id, company_id in sites
            ]
        )
        before = snapshot(locked, ["state", "publish_at"])
        locked.state = Notice.State.PUBLISHED
        locked.publish_at = publish_at
        locked.published_at = now
        locked.save(update_fields=["state", "publish_at", "published_at", "updated_at"])
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.NOTICE_PUBLISH,
            obj=locked,
            changes={**changes_of(locked, ["state", "publish_at"], before), "sites": len(sites)},
        )
        if locked.urgent and locked.also_sms:
            notice_sms_enqueue(notice=locked, now=now)
    return locked


def notice_withdraw(*, actor, notice: Notice, now=None) -> Notice:
    """Take a published notice down (recipients no longer see it); its receipts stay."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = Notice.all_tenants.filter(pk=notice.pk, state=Notice.State.PUBLISHED).update(
            state=Notice.State.WITHDRAWN, withdrawn_at=now, updated_at=now
        )
        if not updated:
            raise ValidationError(_("只有已发布的公告可以撤回。"))
        audit_record(
            actor=actor,
            company_id=notice.company_id,
            action=AuditAction.NOTICE_WITHDRAW,
            obj=notice,
            changes={"state": [Notice.State.PUBLISHED, Notice.State.WITHDRAWN]},
        )
    notice.state, notice.withdrawn_at = Notice.State.WITHDRAWN, now
    return notice
