"""Reads of the public site's pages: the section tabs, the home page's lists, the
policy library's filters. Each is a fixed number of queries whatever the page count."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from wagtail.models import Page

from firstline.publishing.models import (
    CallToActionPage,
    GuidePage,
    KnowledgeHome,
    NewsPage,
    PolicyPage,
    TopicPage,
)

MAX_QUERY = 100


def site_sections(page: Page) -> list[dict]:
    """The home and its direct children as tabs, the current branch marked."""
    home = KnowledgeHome.objects.first()
    if home is None:
        return []
    sections = [home, *home.get_children().live().in_menu().order_by("path")]
    return [
        {
            "title": section.title,
            "url": section.url,
            "active": (
                page.pk == section.pk
                if section.pk == home.pk
                else page.path.startswith(section.path)
            ),
        }
        for section in sections
    ]


def home_lists(home: KnowledgeHome) -> dict:
    return {
        "guides": GuidePage.objects.live().descendant_of(home).order_by("path"),
        "news": NewsPage.objects.live().descendant_of(home).order_by("-date", "-pk")[:8],
        "features": [
            *TopicPage.objects.live().descendant_of(home).order_by("-first_published_at")[:4],
            *CallToActionPage.objects.live().descendant_of(home).order_by("-issued_on")[:4],
        ],
    }


def policy_filter(index: Page, params) -> tuple:
    """The library's policies narrowed by ?q= (title, issuer, number), ?category= and
    ?valid=current|expired; unknown values match nothing rather than failing."""
    q = (params.get("q") or "").strip()[:MAX_QUERY]  # NUL is refused at the edge
    category = params.get("category") or ""
    valid = params.get("valid") or ""
    policies = PolicyPage.objects.live().child_of(index).select_related("region")
    if q:
        policies = policies.filter(
            Q(title__icontains=q) | Q(issuer__icontains=q) | Q(document_number__icontains=q)
        )
    if category:
        policies = policies.filter(category=category)
    today = timezone.localdate()
    if valid == "current":
        policies = policies.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    elif valid == "expired":
        policies = policies.filter(valid_until__lt=today)
    filters = {"q": q, "category": category, "valid": valid}
    return policies.order_by("-issued_on", "-pk")[:200], filters
