"""The public ledger's pages (/ledger/, no login): where every donated unit went.

Anyone may read them, so they show only what `public.py` publishes (public names,
places, quantities; never a person, never an actor). They read one association's
ledger, the first that has one (`public.public_association_id`). Lists are
paginated and run a fixed number of queries; the open-data files stream."""

from __future__ import annotations

from pathlib import Path

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from firstline.core.replicas import replica_reads
from firstline.supplies.selectors import opendata, public

PAGE_SIZE = 50
SCRIPT = Path(__file__).resolve().parents[4] / "scripts" / "verify_ledger.py"


def _association() -> int:
    found = public.public_association_id()
    if found is None:
        raise Http404
    return found


def _page(request, queryset, param: str = "page", size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get(param))


@replica_reads
@require_GET
def home(request):
    """Headline figures, totals by item, donor and district, and how to verify."""
    found = public.public_association_id()
    context = {"tab": "home", "has_ledger": found is not None}
    if found is not None:
        context.update(
            headline=public.headline(found),
            items=public.by_item(found),
            donors=public.by_donor(found),
            districts=public.by_district(found),
        )
    return render(request, "supplies/public_home.html", context)


@replica_reads
@require_GET
def companies(request):
    term = request.GET.get("q", "").strip()
    page = _page(request, public.by_company(_association(), term))
    return render(
        request,
        "supplies/public_companies.html",
        {"tab": "companies", "page_obj": page, "query": term},
    )


@replica_reads
@require_GET
def sites(request):
    term = request.GET.get("q", "").strip()
    page = _page(request, public.by_site(_association(), term))
    return render(
        request, "supplies/public_sites.html", {"tab": "sites", "page_obj": page, "query": term}
    )


@replica_reads
@require_GET
def batches(request):
    term = request.GET.get("q", "").strip()
    page = _page(request, public.batches(_association(), term))
    return render(
        request,
        "supplies/public_batches.html",
        {"tab": "batches", "page_obj": page, "query": term},
    )


@replica_reads
@require_GET
def batch_detail(request, number: int):
    """One batch's trace: its lines, where its units are now, every entry in order."""
    batch = public.batch_of(_association(), number)
    return render(request, "supplies/public_batch.html", trace_context(request, batch))


def trace_context(request, batch: dict) -> dict:
    """What a trace page shows (the donor's own page shows the same)."""
    return {
        "tab": "batches",
        "trace": public.trace(batch),
        "where_page": _page(request, public.whereabouts(batch["id"]), "where"),
        "entry_page": _page(request, public.trace_entries(batch["id"]), "page", 100),
    }


@replica_reads
@require_GET
@cache_control(public=True, max_age=60)
def open_data_json(request):
    response = StreamingHttpResponse(
        opendata.json_chunks(_association()), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="firstline-ledger.json"'
    return response


@replica_reads
@require_GET
@cache_control(public=True, max_age=60)
def open_data_csv(request):
    response = StreamingHttpResponse(
        opendata.csv_chunks(_association()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="firstline-ledger.csv"'
    return response


@require_GET
def verify_script(request):
    """The checking script itself, so a reader needs nothing but Python."""
    if not SCRIPT.is_file():
        raise Http404
    return FileResponse(
        SCRIPT.open("rb"),
        as_attachment=True,
        filename="verify_ledger.py",
        content_type="text/x-python; charset=utf-8",
    )
