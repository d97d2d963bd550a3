"""Daily report pages (信息报送): the list of reports in scope, one report's figures,
the submission form and the site manager's "to do today" page.

Declared on the scoped base views: every report is read through
`DailyReport.objects.for_scope(...)` under the page's permission, so a company user
sees its own company's reports and an authority viewer those whose community code
is under its division (scope path `division_code`); anything else is a 404."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.core.views import ScopedDetailView, ScopedListView, ScopedViewMixin, ServiceFormView
from firstline.estates.models import Site
from firstline.reports.forms import DailyFilterForm, SubmitForm
from firstline.reports.models import DailyReport
from firstline.reports.selectors import daily as selectors
from firstline.reports.services import reads
from firstline.reports.services.daily import (
    report_draft_save,
    report_submit,
    reports_prefill,
)
from firstline.supplies.models import Item

VIEW = "reports.view_dailyreport"
SUBMIT = "reports.submit_report"
# A manager's "today" page prefills on demand for at most this many sites; a user
# reaching more (a company admin) is sent to the list filtered instead.
TODAY_MAX_SITES = 10


class DailyList(ScopedListView):
    """Reports in scope for a day (yesterday unless ?day= says; ?day=all for every
    day), by site, state and late/missing; a fixed number of queries per page."""

    model = DailyReport
    permission = VIEW
    template_name = "reports/daily_list.html"
    table_template = "reports/_daily_table.html"
    title = _("每日报告")
    search_fields = ("site__name__icontains",)

    @cached_property
    def filter_form(self) -> DailyFilterForm:
        return DailyFilterForm(self.request.GET)

    @cached_property
    def now(self):
        return timezone.now()

    def refine_list(self, qs):
        form = self.filter_form
        if (day := form.chosen_day()) is not None:
            qs = qs.filter(day=day)
        if state := form.value("state"):
            qs = qs.filter(state=state)
        if site := form.value("site"):
            qs = qs.filter(site_id=site)
        qs = selectors.flag_filter(qs, form.value("flag") or "", self.now)
        return selectors.report_list(qs, self.now)

    def site_choices(self) -> list[tuple[int, str]]:
        """The sites with a report on the chosen day (yesterday for all days): one
        query, through the same scope, so an authority sees its division's sites."""
        day = self.filter_form.chosen_day() or timezone.localdate() - timedelta(days=1)
        rows = (
            DailyReport.objects.for_scope(self.scope)
            .filter(day=day)
            .order_by("site__name", "site_id")
            .values_list("site_id", "site__name")
        )
        return list(rows)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = self.filter_form
        ctx.update(
            form=form,
            chosen_day=form.chosen_day(),
            all_days=form.all_days,
            key_figures=[
                (name, DailyReport._meta.get_field(name).verbose_name)
                for name in selectors.KEY_FIGURES
            ],
            site_choices=self.site_choices(),
            state_choices=DailyReport.State.choices,
            can_submit=self.request.scope.has_perm(SUBMIT),
            rows=key_rows(ctx["object_list"]),
        )
        reads.reports_read(
            self.request, self.scope, ((r.company_id, r.site_id, r.pk) for r in ctx["object_list"])
        )
        return ctx


def key_rows(reports) -> list[tuple[DailyReport, list[int]]]:
    """Each report with its key figures' values, in KEY_FIGURES order."""
    return [(r, [getattr(r, name) for name in selectors.KEY_FIGURES]) for r in reports]


class DailyDetail(ScopedDetailView):
    """All figures with their labels, compliance, stock, the manual fields and who
    submitted when."""

    model = DailyReport
    permission = VIEW
    template_name = "reports/daily_detail.html"

    def refine(self, qs):
        return selectors.report_detail(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        report = self.object
        reads.reports_read(
            self.request, self.scope, [(report.company_id, report.site_id, report.pk)]
        )
        ctx.update(report_context(report))
        ctx["can_submit"] = self.request.scope.has_perm(SUBMIT) and (
            DailyReport.objects.for_scope(self.request.scope.for_perm(SUBMIT))
            .filter(pk=report.pk)
            .exists()
        )
        return ctx


class DailyPrint(ScopedDetailView):
    """The report on one A4 sheet (core/print.html): site, day, every figure, the
    stock, the notes and lines to sign. Read like the detail page (an authority's
    read is logged the same way)."""

    model = DailyReport
    permission = VIEW
    template_name = "reports/daily_print.html"

    def refine(self, qs):
        return selectors.report_detail(qs).select_related("company", "site__community")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        report = self.object
        reads.reports_read(
            self.request, self.scope, [(report.company_id, report.site_id, report.pk)]
        )
        ctx.update(report_context(report))
        half = (len(ctx["figures"]) + 1) // 2  # two tables side by side: one sheet
        ctx.update(
            figure_columns=[ctx["figures"][:half], ctx["figures"][half:]],
            back_url=reverse("reports:daily_detail", args=[report.pk]),
            printed_at=timezone.now(),
        )
        return ctx


def report_context(report: DailyReport) -> dict:
    """What the detail and the submit pages show of a report: the figures with their
    labels and the stock with the items' names (one query)."""
    stock = report.stock or {}
    items = {
        row["code"]: row
        for row in Item.objects.filter(code__in=sorted(stock)).values("code", "name", "unit")
    }
    stock_rows = [
        {
            "code": code,
            "name": items.get(code, {}).get("name", code),
            "unit": items.get(code, {}).get("unit", ""),
            "quantity": quantity,
        }
        for code, quantity in sorted(stock.items())
    ]
    return {
        "report": report,
        "figures": selectors.figure_rows(report),
        "stock_rows": stock_rows,
        "compliance": report.compliance_percent,
    }


class DailySubmit(ServiceFormView):
    """The manual fields, with the current figures read-only. Two buttons: 保存草稿
    (action=draft: report_draft_save, the report stays a draft and editable) and
    报送 (action=submit: report_submit, or re-submits a correction), which asks first
    what will happen (data-confirm, and without script the required `confirmed` box
    of core/_confirm.html; a submit without it is refused, nothing sent). A POST
    naming no action saves a draft: nothing irreversible happens by default."""

    model = DailyReport
    permission = SUBMIT
    template_name = "reports/daily_submit.html"
    form_class = SubmitForm
    success_message = _("报告已报送。")

    @cached_property
    def object(self) -> DailyReport:
        return get_object_or_404(selectors.report_detail(self.get_queryset()), pk=self.kwargs["pk"])

    def get_initial(self):
        return {"notes": self.object.notes, "help_needed": self.object.help_needed}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(report_context(self.object))
        ctx.update(
            object=self.object,
            title=_("报送每日报告"),
            cancel_url=reverse("reports:daily_detail", args=[self.object.pk]),
        )
        return ctx

    def act(self, form):
        fields = {
            "actor": self.request.user,
            "report": self.object,
            "notes": form.cleaned_data["notes"],
            "help_needed": form.cleaned_data["help_needed"],
        }
        if self.request.POST.get("action") != "submit":
            report = report_draft_save(**fields)
            self.success_message = _("草稿已保存，尚未报送。")
            return reverse("reports:daily_submit", args=[report.pk])
        if self.request.POST.get("confirmed") != "1":
            raise ValidationError(_("报送前请勾选确认：报送后报告将发送给主管部门。"))
        report = report_submit(**fields)
        return reverse("reports:daily_detail", args=[report.pk])


class DailyToday(ScopedViewMixin, generic.TemplateView):
    """A site manager's reports to do: yesterday's (due today at the cut-off) and
    today's draft, for each site the submit permission reaches; the drafts are made
    on demand. Past TODAY_MAX_SITES sites, the list filtered to yesterday's drafts."""

    model = DailyReport
    permission = SUBMIT
    template_name = "reports/daily_today.html"

    def get(self, request, *args, **kwargs):
        site_ids = list(
            Site.objects.for_scope(self.scope)
            .order_by("id")
            .values_list("id", flat=True)[: TODAY_MAX_SITES + 1]
        )
        today = timezone.localdate()
        yesterday = today - timedelta(days=1)
        if len(site_ids) > TODAY_MAX_SITES:
            query = urlencode({"day": yesterday.isoformat(), "state": DailyReport.State.DRAFT})
            return HttpResponseRedirect(f"{reverse('reports:daily_list')}?{query}")
        days = (yesterday, today)
        have = set(
            DailyReport.objects.for_scope(self.scope)
            .filter(site_id__in=site_ids, day__in=days)
            .values_list("site_id", "day")
        )
        for day in days:
            if lacking := [pk for pk in site_ids if (pk, day) not in have]:
                reports_prefill(day=day, site_ids=lacking)
        reports = list(
            selectors.report_list(
                DailyReport.objects.for_scope(self.scope).filter(site_id__in=site_ids, day__in=days)
            )
        )
        context = self.get_context_data(
            rows=key_rows(reports),
            today=today,
            yesterday=yesterday,
            title=_("今日待报"),
            key_figures=[
                (name, DailyReport._meta.get_field(name).verbose_name)
                for name in selectors.KEY_FIGURES
            ],
        )
        return self.render_to_response(context)
