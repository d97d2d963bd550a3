"""A donor's own pages: its pledges and batches, and for each batch where every unit
went (the same trace the public ledger shows, reached from the donor's side).

A donor login holds `supplies.view_own_donations` over its association, so its reads
go through `for_scope` with that grant; which Donor it speaks for is Donor.account. A
batch of another donor, or of an association the login has no grant in, answers 404
like a missing one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, Sum
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from firstline.supplies.models import Donor, InboundBatch, Pledge
from firstline.supplies.selectors import public
from firstline.supplies.views.public import _page, trace_context

PERMISSION = "supplies.view_own_donations"


def donor_scope(request):
    scope = request.scope.for_perm(PERMISSION)
    if not scope.grants:
        raise PermissionDenied
    return scope


def own_donors(request, scope):
    """The donors this login speaks for, within the associations it holds the grant in."""
    return Donor.objects.for_scope(scope).filter(account_id=request.user.pk)


@login_required
@require_GET
def home(request):
    scope = donor_scope(request)
    donors = own_donors(request, scope)
    pledges = (
        Pledge.objects.for_scope(scope)
        .filter(donor__in=donors)
        .values(
            "pk", "quantity", "state", "pledged_at", item_name=F("item__name"), unit=F("item__unit")
        )
        .order_by("-pledged_at", "-pk")
    )
    batches = (
        InboundBatch.objects.for_scope(scope)
        .filter(donor__in=donors)
        .values("pk", "number", "received_at", warehouse_name=F("warehouse__name"))
        .annotate(units=Sum("lines__quantity"))
        .order_by("-number")
    )
    states = dict(Pledge.State.choices)
    pledge_page = _page(request, pledges, "pledges", 20)
    for row in pledge_page.object_list:
        row["state_label"] = states.get(row["state"], row["state"])
    return render(
        request,
        "supplies/donor_home.html",
        {
            "donor_names": list(donors.values_list("name", flat=True)),
            "pledge_page": pledge_page,
            "batch_page": _page(request, batches, "page", 20),
        },
    )


@login_required
@require_GET
def batch_detail(request, pk: int):
    scope = donor_scope(request)
    donors = own_donors(request, scope)
    found = get_object_or_404(
        InboundBatch.objects.for_scope(scope)
        .filter(donor__in=donors)
        .values("association_id", "number"),
        pk=pk,
    )
    batch = public.batch_of(found["association_id"], found["number"], donors=donors)
    return render(request, "supplies/donor_batch.html", trace_context(request, batch))
