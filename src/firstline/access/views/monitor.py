"""Monitoring pages of the gate: the live log, the denied and referred lists, the
day's statistics and quota use, the export, the site manager's alerts and the
health officer's follow-ups. Declared on the scoped base views: each names its
model and permission, the selectors decide the joins, the services write."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.access.models import AccessEvent, Alert, Decision, Direction, FollowUp
from firstline.access.selectors import monitor as selectors
from firstline.access.services import monitor as monitor_services
from firstline.access.services.gate import policy_in_force
from firstline.core.views import ScopedListView, ScopedViewMixin
from firstline.estates.models import Household, Site
from firstline.estates.selectors import room_q
from firstline.estates.views.site_filter import SiteFilterMixin, scoped_sites

EXPORT_PERMISSION = "access.export_event"
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
HELD = (Decision.DENY, Decision.REFER)  # the denied and referred lists
# The htmx event an acknowledgement sends; base.html's alert badge listens for it.
ALERTS_CHANGED = "fl:alerts-changed"


class LogFilterForm(forms.Form):
    """The gate-log filters. A missing `day` means today (the live view); an empty
    one means every day."""

    site = forms.TypedChoiceField(label=_("项目"), coerce=int, required=False, empty_value=None)
    decision = forms.ChoiceField(
        label=_("结果"), choices=[("", _("全部结果")), *Decision.choices], required=False
    )
    direction = forms.ChoiceField(
        label=_("方向"), choices=[("", _("全部方向")), *Direction.choices], required=False
    )
    day = forms.DateField(label=_("日期"), required=False)

    def __init__(self, data, *, sites: list[tuple[int, str]]):
        data = data.copy()
        if "day" not in data:
            data["day"] = timezone.localdate().isoformat()
        super().__init__(data)
        self.fields["site"].choices = [("", _("全部项目")), *sites]

    def value(self, name: str):
        """The valid value of a filter, or its empty value: a bad value filters nothing."""
        if name == "site" and "site" in self.errors:
            raise Http404  # a site outside the scope looks like one that does not exist
        return self.cleaned_data.get(name)

    def applied(self) -> dict[str, str]:
        """The filters in force, as text for the audit row of an export."""
        return {name: str(value) for name in self.fields if (value := self.value(name))}


def log_search_q(term: str) -> Q:
    """A name (resident or pass holder), a room (301) or a plate."""
    return (
        Q(resident__name__icontains=term)
        | Q(pass_ref__holder_name__icontains=term)
        | room_q(term, "household__")
        | Q(plate__icontains=term)
    )


class LogFilterMixin:
    """The filters shared by the log, the denied list and the export."""

    decisions: tuple[str, ...] = ()  # the decisions this page may show; () is all

    @cached_property
    def sites(self) -> list[tuple[int, str]]:
        return scoped_sites(self.scope)

    @cached_property
    def filter_form(self) -> LogFilterForm:
        form = LogFilterForm(self.request.GET, sites=self.sites)
        form.is_valid()
        return form

    def chosen_decisions(self) -> tuple[str, ...]:
        decision = self.filter_form.value("decision")
        if self.decisions:
            return (decision,) if decision in self.decisions else self.decisions[:1]
        return (decision,) if decision else ()

    def filtered(self, events, *, decisions: tuple[str, ...] | None = None):
        form = self.filter_form
        events = selectors.event_filter(
            events,
            site_id=form.value("site"),
            direction=form.value("direction"),
            day=form.value("day"),
            decisions=self.chosen_decisions() if decisions is None else decisions,
        )
        term = self.request.GET.get("q", "").strip()
        return events.filter(log_search_q(term)) if term else events


class LogList(LogFilterMixin, ScopedListView):
    """The live gate log: newest first; page one refreshes itself every 5 seconds."""

    model = AccessEvent
    permission = "access.view_event"
    template_name = "access/log.html"
    table_template = "access/_log_table.html"
    paginate_by = 50
    title = _("出入记录")

    def refine_list(self, qs):
        return self.filtered(selectors.event_list(qs))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        day = self.filter_form.value("day")
        ctx.update(
            form=self.filter_form,
            sites=self.sites,
            decision_choices=Decision.choices,
            direction_choices=Direction.choices,
            day=day,
            # Only the newest page of today's log follows the gate; older pages stay still.
            live=ctx["page_obj"].number == 1 and day in (None, timezone.localdate()),
            can_export=self.request.scope.has_perm(EXPORT_PERMISSION),
        )
        return ctx


class DeniedList(LogList):
    """The denied and the referred events, one tab each, with the count of both."""

    template_name = "access/denied.html"
    table_template = "access/_denied_table.html"
    title = _("拒绝与转交记录")
    decisions = HELD

    def refine_list(self, qs):
        qs = selectors.event_list(qs)
        self.tab_counts = selectors.decision_counts(self.filtered(qs, decisions=HELD))
        return self.filtered(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        current = self.chosen_decisions()[0]
        ctx["tabs"] = [
            {
                "value": d.value,
                "label": d.label,
                "count": self.tab_counts.get(d.value, 0),
                "active": d == current,
            }
            for d in HELD
        ]
        ctx["current_decision"] = current
        return ctx


class LogExport(LogFilterMixin, ScopedViewMixin, generic.View):
    """The filtered log as a masked workbook (?format=csv for CSV); every export audited."""

    model = AccessEvent
    permission = EXPORT_PERMISSION

    def get(self, request):
        fmt = request.GET.get("format") or "xlsx"
        if fmt not in CONTENT_TYPES:
            raise Http404
        site_id = self.filter_form.value("site")
        site = Site.objects.for_scope(self.scope).get(pk=site_id) if site_id else None
        export = monitor_services.events_export(
            actor=request.user,
            events=self.filtered(self.get_queryset()),
            site=site,
            company_ids=self.scope.company_ids,
            fmt=fmt,
            filters=self.filter_form.applied(),
        )
        return FileResponse(
            export.file,
            as_attachment=True,
            filename=export.filename,
            content_type=CONTENT_TYPES[fmt],
        )


# --- statistics -----------------------------------------------------------------------------


class StatsForm(forms.Form):
    site = forms.TypedChoiceField(label=_("项目"), coerce=int)
    day = forms.DateField(label=_("日期"))


class StatsView(ScopedViewMixin, generic.TemplateView):
    """One site's day at the gate: entries and exits per hour, totals per decision,
    fevers, and the households against the outing quota."""

    model = AccessEvent
    permission = "access.view_event"
    template_name = "access/stats.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        sites = scoped_sites(self.scope)
        ctx.update(title=_("出入统计"), sites=sites)
        if not sites:
            return ctx
        data = {
            "site": self.request.GET.get("site") or sites[0][0],
            "day": self.request.GET.get("day") or timezone.localdate().isoformat(),
        }
        form = StatsForm(data)
        form.fields["site"].choices = sites
        if not form.is_valid():
            if "site" in form.errors:
                raise Http404
            form = StatsForm({"site": data["site"], "day": timezone.localdate().isoformat()})
            form.fields["site"].choices = sites
            form.is_valid()
        site_id, day = form.cleaned_data["site"], form.cleaned_data["day"]
        events = self.get_queryset().filter(site_id=site_id)
        stats = selectors.day_stats(
            events, Alert.objects.for_scope(self.scope).filter(site_id=site_id), day=day
        )
        chart = hourly_chart(stats)
        now = timezone.now()
        # The quota period of the chosen day: the one running now for today, else the day's last.
        at = (
            now
            if day == timezone.localdate()
            else datetime.combine(day, time.max, tzinfo=selectors.site_zone())
        )
        policy = policy_in_force(site_id=site_id, at=min(at, now))
        quota = selectors.quota_use(
            events,
            Household.objects.for_scope(self.scope).filter(site_id=site_id),
            policy=policy,
            at=min(at, now),
        )
        ctx.update(
            form=form,
            site_id=site_id,
            site_name=dict(sites)[site_id],
            day=day,
            stats=stats,
            policy=policy,
            quota=quota,
            chart=chart,
            is_today=day == timezone.localdate(),
            hours=list(
                zip(chart["xAxis"]["data"], stats.entries, stats.exits, stats.held, strict=True)
            ),
        )
        return ctx


def hourly_chart(stats: selectors.DayStats) -> dict:
    """The ECharts option of the per-hour chart (rendered with json_script)."""
    names = (str(_("进")), str(_("出")), str(_("未放行")))
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": list(names), "top": 0},
        "grid": {"left": 40, "right": 16, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": [f"{h:02d}:00" for h in range(24)]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"name": names[0], "type": "bar", "data": stats.entries},
            {"name": names[1], "type": "bar", "data": stats.exits},
            {"name": names[2], "type": "line", "data": stats.held},
        ],
    }


# --- alerts -------------------------------------------------------------------------------


class AlertList(SiteFilterMixin, ScopedListView):
    """Fevers at the gate, open ones first, each with its acknowledge button."""

    model = Alert
    permission = "access.view_alert"
    template_name = "access/alert_list.html"
    table_template = "access/_alert_table.html"
    title = _("告警")
    search_fields = ("message__icontains",)

    def refine_list(self, qs):
        qs = selectors.alert_list(qs)
        if self.request.GET.get("state") == "open":
            qs = qs.filter(acknowledged_at__isnull=True)
        return self.site_filter(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            state=self.request.GET.get("state", ""),
        )
        return ctx


class AlertAck(ScopedViewMixin, generic.View):
    """POST: acknowledge one alert; answers with its refreshed table row (htmx)."""

    model = Alert
    permission = "access.view_alert"

    def post(self, request, pk: int):
        alert = get_object_or_404(self.get_queryset(), pk=pk)
        monitor_services.alert_acknowledge(actor=request.user, alert=alert)
        alert = selectors.alert_list(self.get_queryset()).get(pk=pk)
        response = render(request, "access/_alert_row.html", {"a": alert})
        response["HX-Trigger"] = ALERTS_CHANGED  # the navigation badge counts again
        return response


class AlertBadge(ScopedViewMixin, generic.View):
    """The count of open alerts beside the navigation link, loaded by htmx so that no
    other page pays for it."""

    model = Alert
    permission = "access.view_alert"

    def get(self, request):
        count = self.get_queryset().filter(acknowledged_at__isnull=True).count()
        return render(request, "access/alert_badge.html", {"count": count})


# --- follow-ups -------------------------------------------------------------------------


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label=_("处理结果"),
        max_length=monitor_services.OUTCOME_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FollowUpList(SiteFilterMixin, ScopedListView):
    """The health officer's list: people referred at the gate, open items first."""

    model = FollowUp
    permission = "access.view_followup"
    template_name = "access/followup_list.html"
    table_template = "access/_followup_table.html"
    title = _("待跟进事项")
    search_fields = ("resident__name__icontains", "reason__icontains")
    STATES = ("open", "done", "all")

    def state(self) -> str:
        state = self.request.GET.get("state", "open")
        return state if state in self.STATES else "open"

    def refine_list(self, qs):
        qs = selectors.followup_list(qs)
        if self.state() != "all":
            qs = qs.filter(status=self.state())
        return self.site_filter(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            state=self.state(),
            can_change=self.request.scope.has_perm("access.change_followup"),
        )
        return ctx


class FollowUpDone(ScopedViewMixin, generic.View):
    """POST: record the outcome of one follow-up; answers with its refreshed row."""

    model = FollowUp
    permission = "access.change_followup"

    def post(self, request, pk: int):
        followup = get_object_or_404(self.get_queryset(), pk=pk)
        form = OutcomeForm(request.POST)
        if form.is_valid():
            try:
                monitor_services.followup_record_outcome(
                    actor=request.user, followup=followup, outcome=form.cleaned_data["outcome"]
                )
            except ValidationError as exc:
                form.add_error("outcome", exc.message_dict.get("outcome", exc.messages))
        followup = selectors.followup_list(self.get_queryset()).get(pk=pk)
        return render(
            request, "access/_followup_row.html", {"f": followup, "form": form, "can_change": True}
        )
