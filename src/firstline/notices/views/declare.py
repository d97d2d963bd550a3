"""Notices for a resident without an account, signed in by the declaration's one-time
code (health's /health/declare/<token>/ pages): the same signed site link, the same
verified sign-in in the session (for this site, 30 minutes). Without it the page
sends the resident to sign in there first.

The residents the phone verified are the reader: the one chosen in the declaration
flow, or else the first of them; opening a notice records that resident's receipt.
"""

from __future__ import annotations

import time

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from firstline.estates.models import Resident
from firstline.health.views.declare import SESSION_KEY, SIGNED_IN_FOR, site_from_token
from firstline.notices.models import NoticeInbox
from firstline.notices.selectors import inbox
from firstline.notices.services.reading import notice_read
from firstline.notices.views.sender import file_response

PAGE_SIZE = 25


def _signed_in(request, token: str):
    """(site, residents) of the verified sign-in for the link's site, or None."""
    site, site_scope = site_from_token(token)
    state = request.session.get(SESSION_KEY)
    if not state or state.get("site") != site.pk:
        return site, None
    if time.time() - state.get("at", 0) > SIGNED_IN_FOR.total_seconds():
        return site, None
    ids = [i for i in state.get("residents", []) if isinstance(i, int)]
    residents = list(
        Resident.objects.for_scope(site_scope)
        .filter(pk__in=ids)
        .order_by("id")
        .only("pk", "company_id", "site_id", "household_id")
    )
    if not residents:
        return site, None
    chosen = state.get("resident")
    residents.sort(key=lambda r: (r.pk != chosen, r.pk))  # the chosen one first
    return site, residents


def _context(request, token: str):
    site, residents = _signed_in(request, token)
    if residents is None:
        return site, None, None
    return site, residents, inbox.declare_scope(residents)


def declare_inbox(request, token: str):
    site, residents, scope = _context(request, token)
    if residents is None:
        return redirect("health:declare_start", token)
    qs = inbox.inbox(scope, resident_ids=[r.pk for r in residents])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/declare_list.html",
        {"site": site, "token": token, "page_obj": page, "object_list": page.object_list},
    )


def _notice(scope, pk: int):
    notice = inbox.current(NoticeInbox.objects.for_scope(scope)).filter(pk=pk).first()
    if notice is None:
        raise Http404
    return notice


def declare_detail(request, token: str, pk: int):
    site, residents, scope = _context(request, token)
    if residents is None:
        return redirect("health:declare_start", token)
    notice = _notice(scope, pk)
    reader = next((r for r in residents if notice.to_residents and r.site_id == site.pk), None)
    if reader is not None:
        notice_read(
            notice=notice,
            resident_id=reader.pk,
            company_id=reader.company_id,
            site_id=reader.site_id,
            household_id=reader.household_id,
        )
    return render(
        request,
        "notices/declare_detail.html",
        {
            "site": site,
            "token": token,
            "notice": notice,
            "attachments": inbox.attachments(scope, notice),
        },
    )


def declare_attachment(request, token: str, pk: int):
    _site, residents, scope = _context(request, token)
    if residents is None:
        raise Http404
    for attachment in inbox.attachments_by_id(scope, pk):
        return file_response(attachment)
    raise Http404
