"""The command centre (集控中心) pages: open alerts per kind and the live feed,
refreshed by htmx polling every 5 s; acknowledge and assign for those who may act.

The feed is a UNION over four apps' alert tables (feed.py), so these are plain
views on `ScopedViewMixin` (login, permission, scope) rather than a list view of
one model; every read inside goes through `for_scope` or, for authorities, the
division-restricted reads documented in feed.py. Writes call command.py.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.views import generic

from firstline.core.views import ScopedViewMixin
from firstline.health.models import HealthAlert
from firstline.reports.selectors import feed
from firstline.reports.services import command


class CommandMixin(ScopedViewMixin):
    # The alert tables differ per row; `model` only satisfies the base view, whose
    # get_queryset these views never call (feed.py scopes each table itself).
    model = HealthAlert
    permission = feed.COMMAND_PERM

    def feed_context(self, flt: feed.FeedFilter, *, error: str = "", errors=None) -> dict:
        scope = self.request.scope
        page = feed.feed_page(scope, flt)
        can_act = scope.has_perm(feed.ACT_PERM) and not page.masked
        assignable = command.assignable_users(page.rows) if can_act and page.rows else {}
        for row in page.rows:
            row["assignable"] = assignable.get(row["site_id"], [])
            row["can_act"] = can_act and bool(command.act_scope(scope, row["source"]).grants)
        query = flt.query_string()
        # The next poll asks for what came after the newest row shown (or after now,
        # when none is): those rows arrive highlighted.
        poll = {**query, "since": (page.newest or timezone.now()).isoformat()}
        return {
            "page": page,
            "rows": page.rows,
            "flt": flt,
            "can_act": can_act,
            "poll_query": urlencode(poll),
            "filter_query": urlencode(query),
            "older_query": urlencode({**query, "before": page.next_before}),
            "row_error": error,
            "row_errors": errors or {},
        }

    def parsed_filter(self, data) -> tuple[feed.FeedFilter, dict]:
        try:
            return feed.FeedFilter.parse(data), {}
        except ValidationError as exc:
            return feed.FeedFilter(), exc.message_dict


class CommandCentre(CommandMixin, generic.View):
    """The page: counters of open alerts per kind, filters, the polled feed."""

    def get(self, request):
        flt, errors = self.parsed_filter(request.GET)
        ctx = self.feed_context(flt)
        sites, divisions = feed.filter_choices(request.scope)
        ctx.update(
            site_choices=sites,
            division_choices=divisions,
            # A value in the URL that the pickers do not offer (another company's site:
            # the feed shows nothing of it; a city's code prefix: still a filter).
            other_site=flt.site_id if flt.site_id not in {pk for pk, _n in sites} else None,
            other_district=flt.district
            if flt.district not in {code for code, _l in divisions}
            else "",
            counts=feed.open_counts(request.scope),
            kinds=list(feed.KINDS.items()),
            filter_errors=errors,
            authority=bool(feed.authority_codes(request.scope)),
        )
        return render(request, "reports/command.html", ctx)


class CommandFeed(CommandMixin, generic.View):
    """The htmx fragment: the feed table, which re-arms its own poll with `since`."""

    def get(self, request):
        flt, errors = self.parsed_filter(request.GET)
        ctx = self.feed_context(flt)
        ctx["filter_errors"] = errors
        return render(request, "reports/_command_feed.html", ctx)


class ActView(CommandMixin, generic.View):
    """POST on one alert; answers with the refreshed feed (htmx swaps it in)."""

    permission = feed.ACT_PERM

    def act(self, request, pk: int, source: str) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        source = request.POST.get("source", "")
        error, errors = "", {}
        try:
            self.act(request, pk, source)
        except ValidationError as exc:
            errors = exc.message_dict
            error = "；".join(m for messages in errors.values() for m in messages)
        flt, _errors = self.parsed_filter(request.POST)
        ctx = self.feed_context(flt, error=error, errors=errors)
        ctx["error_key"] = f"{source}-{pk}"
        return render(request, "reports/_command_feed.html", ctx)


class CommandAck(ActView):
    def act(self, request, pk: int, source: str) -> None:
        command.alert_ack(actor=request.user, scope=request.scope, source=source, alert_id=pk)


class CommandAssign(ActView):
    def act(self, request, pk: int, source: str) -> None:
        command.alert_assign(
            actor=request.user,
            scope=request.scope,
            source=source,
            alert_id=pk,
            assignee=request.POST.get("assignee"),
        )
