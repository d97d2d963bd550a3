"""Reads of the reading figures (services/reading.py writes them): totals, by page,
by day and by document over a date range, in seven queries (and one for the span of
days with figures) whatever the number of pages, documents or days.

The figures are the association's public site's, not a tenant's: counts of views and
downloads of public pages, with no reader behind them (the marks that decided each
count are gone after their day). No cell is suppressed: a small count says how many
times a public page was read, nothing about a person.

A page's downloads are those of the documents it links to (Wagtail's reference index:
document links in its rich text, document fields and blocks), over the same range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps
from django.db.models import Max, Min, Q, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model
from wagtail.models import ReferenceIndex, Site

from firstline.publishing.models import Channel, ReadingDay

DEFAULT_DAYS = 366  # the default range: the year up to the last day with figures
MAX_DAYS = 3 * 366  # the longest range a page shows (the chart has a point a day)
TOP_PAGES = 100
TOP_DOCUMENTS = 20
CHANNELS = tuple(Channel.values)


@dataclass
class ReadingFigures:
    start: date
    end: date
    first: date | None  # the first and last days with any figures
    last: date | None
    views: int = 0
    downloads: int = 0
    by_channel: list[dict] = field(default_factory=list)  # channel, label, views, downloads
    days: list[dict] = field(default_factory=list)  # day, web, poster, wechat, views, downloads
    pages: list[dict] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)
    page_count: int = 0  # pages read in the range (the table shows the first TOP_PAGES)
    document_count: int = 0


def reading_span() -> tuple[date | None, date | None]:
    span = ReadingDay.objects.aggregate(first=Min("day"), last=Max("day"))
    return span["first"], span["last"]


def default_range(first: date | None, last: date | None) -> tuple[date, date]:
    """The year up to the last day with figures (today when there are none)."""
    end = last or timezone.localdate()
    start = end - timedelta(days=DEFAULT_DAYS - 1)
    return (max(start, first) if first else start), end


def _by_channel(value: str) -> dict:
    return {ch: Sum(value, filter=Q(channel=ch), default=0) for ch in CHANNELS}


def _kind(app_label: str | None, model: str | None) -> str:
    try:
        return str(apps.get_model(app_label, model)._meta.verbose_name)
    except (LookupError, TypeError, ValueError):
        return model or ""


def _page_url(url_path: str, root_path: str | None) -> str:
    if not root_path or not url_path.startswith(root_path):
        return ""
    try:
        return reverse("wagtail_serve", args=[url_path[len(root_path) :]])
    except NoReverseMatch:
        return ""


def reading_figures(
    *, start: date, end: date, first: date | None = None, last: date | None = None, top=True
) -> ReadingFigures:
    """The figures of `start`…`end` (inclusive). `top`: the first TOP_PAGES pages and
    TOP_DOCUMENTS documents only (the page); False: all of them (the export)."""
    figures = ReadingFigures(start=start, end=end, first=first, last=last)
    rows = ReadingDay.objects.filter(day__gte=start, day__lte=end).order_by()
    labels = dict(Channel.choices)

    channel_rows = {
        row["channel"]: row
        for row in rows.values("channel").annotate(
            views=Sum("views", default=0), downloads=Sum("downloads", default=0)
        )
    }
    figures.by_channel = [
        {
            "channel": ch,
            "label": labels[ch],
            "views": channel_rows.get(ch, {}).get("views", 0),
            "downloads": channel_rows.get(ch, {}).get("downloads", 0),
        }
        for ch in CHANNELS
    ]
    figures.views = sum(c["views"] for c in figures.by_channel)
    figures.downloads = sum(c["downloads"] for c in figures.by_channel)

    per_day = {
        row["day"]: row
        for row in rows.values("day").annotate(
            **_by_channel("views"),
            views=Sum("views", default=0),
            downloads=Sum("downloads", default=0),
        )
    }
    empty = {ch: 0 for ch in CHANNELS} | {"views": 0, "downloads": 0}
    figures.days = [
        {"day": day, **{k: per_day.get(day, empty)[k] for k in empty}}
        for day in (start + timedelta(days=n) for n in range((end - start).days + 1))
    ]

    documents = list(
        rows.filter(document__isnull=False)
        .values("document_id", "document__title")
        .annotate(**_by_channel("downloads"), downloads=Sum("downloads", default=0))
        .order_by("-downloads", "document_id")
    )
    downloads_of = {d["document_id"]: d["downloads"] for d in documents}
    figures.document_count = len(documents)
    figures.documents = [
        {
            "id": d["document_id"],
            "title": d["document__title"],
            "kind": str(_("文档")),
            **{ch: d[ch] for ch in CHANNELS},
            "downloads": d["downloads"],
        }
        for d in (documents[:TOP_DOCUMENTS] if top else documents)
    ]

    page_rows = (
        rows.filter(page__isnull=False)
        .values(
            "page_id",
            "page__title",
            "page__url_path",
            "page__content_type__app_label",
            "page__content_type__model",
        )
        .annotate(**_by_channel("views"), views=Sum("views", default=0))
        .order_by("-views", "page_id")
    )
    figures.page_count = page_rows.count()
    pages = list(page_rows[:TOP_PAGES] if top else page_rows)

    document_model = get_document_model()._meta
    links: dict[str, set[int]] = {}
    for page_id, document_id in ReferenceIndex.objects.filter(
        base_content_type__app_label="wagtailcore",
        base_content_type__model="page",
        to_content_type__app_label=document_model.app_label,
        to_content_type__model=document_model.model_name,
        object_id__in=[str(p["page_id"]) for p in pages],
    ).values_list("object_id", "to_object_id"):
        if document_id.isdigit():
            links.setdefault(page_id, set()).add(int(document_id))
    root_path = (
        Site.objects.filter(is_default_site=True)
        .values_list("root_page__url_path", flat=True)
        .first()
    )
    figures.pages = [
        {
            "id": p["page_id"],
            "title": p["page__title"],
            "kind": _kind(p["page__content_type__app_label"], p["page__content_type__model"]),
            "url": _page_url(p["page__url_path"], root_path),
            **{ch: p[ch] for ch in CHANNELS},
            "views": p["views"],
            "downloads": sum(downloads_of.get(doc, 0) for doc in links.get(str(p["page_id"]), ())),
        }
        for p in pages
    ]
    return figures
