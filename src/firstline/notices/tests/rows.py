"""Notices for tests, written through the services as the site's manager would."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from firstline.notices.models import Notice, NoticeAttachment
from firstline.notices.services.notices import notice_create, notice_publish
from firstline.orgs.selectors import scope_for_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "通知.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def scope_of(user):
    return scope_for_user(user)


def site_notice(tenant, *, publish: bool = True, title: str = "", **fields) -> Notice:
    """A notice of the tenant's site manager to its own site (residents and staff)."""
    manager = tenant.users["site_manager"]
    values = {
        "target_kind": Notice.TargetKind.SITE,
        "target_site": tenant.site.pk,
        "to_residents": True,
        "to_staff": True,
        "title": title or f"{tenant.site.name}停水通知",
        "body": "<p>明天 9:00–12:00 停水，请提前储水。</p>",
        **fields,
    }
    notice = notice_create(actor=manager, scope=scope_of(manager), **values)
    if publish:
        notice = notice_publish(actor=manager, notice=notice)
    return notice


def furnish(world) -> None:
    """Each site of both companies: a published notice with a file, and a draft."""
    for tenant in (*world.a.corners, *world.b.corners):
        site_notice(tenant, attachments=[pdf()])
        site_notice(tenant, publish=False, title=f"{tenant.site.name}草稿")


def published_of(t) -> Notice:
    return Notice.all_tenants.get(site=t.site, state=Notice.State.PUBLISHED)


def draft_of(t) -> Notice:
    return Notice.all_tenants.get(site=t.site, state=Notice.State.DRAFT)


def attachment_of(t) -> NoticeAttachment:
    return NoticeAttachment.all_tenants.get(notice=published_of(t))
