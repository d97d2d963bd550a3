"""Distribution pages (issue #19):

- an owners' survey's site links: each site's own link and QR code (SVG and PNG),
  and an A4 sheet of a company's QR codes to print and post; for the research
  group (every member company's sites) and for a company admin (its own sites);
- a survey's distribution settings (phone check, quotas, automatic reminders);
- a company survey's completion per member company (not started / in progress /
  submitted), exportable to Excel, and the reminder to those that have not
  submitted;
- the company admin's delegation to a staff user, and the delegate's list.

Another association's survey, another company's site: 404.
"""

from __future__ import annotations

import io

import segno
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, CharField, OuterRef, Q, Subquery, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from firstline.core.roles import SURVEYS_ANSWER, Target
from firstline.core.services import ExportColumn, local_time
from firstline.core.views import ObjectFormView, ScopedListView, ScopedViewMixin
from firstline.estates.models import Site
from firstline.orgs.models import Company
from firstline.surveys.forms import DelegateForm, DistributionForm
from firstline.surveys.models import Assignment, Response, Survey
from firstline.surveys.selectors import public
from firstline.surveys.services import distribution

MANAGE = "surveys.manage_survey"
SITES_PER_PAGE = 24
SHEET_LIMIT = 300  # QR codes on one printed sheet (a company's sites)


def qr(url: str):
    # segno draws our own URL (the survey's token and a signed site token).
    return segno.make(url, micro=False, error="m")


# --- site links and QR codes ----------------------------------------------------------------


class SiteLinksMixin(LoginRequiredMixin):
    """An owners' survey and the sites whose links the caller hands out: the research
    group's (its association's survey, every member company's sites) or a company
    admin's (a survey of its association, open or closed, its own sites)."""

    @cached_property
    def target(self):
        request = self.request
        pk = self.kwargs["pk"]
        manage = request.scope.for_perm(MANAGE)
        answer = request.scope.for_perm(SURVEYS_ANSWER)
        if not manage.grants and not answer.grants:
            raise PermissionDenied
        survey = (
            Survey.objects.for_scope(manage).filter(pk=pk, audience=Survey.Audience.OWNERS).first()
            if manage.grants
            else None
        )
        if survey is not None:
            return survey, public.member_sites(survey), True
        if answer.grants:
            survey = (
                Survey.objects.for_scope(answer)
                .filter(pk=pk, audience=Survey.Audience.OWNERS)
                .exclude(state=Survey.State.DRAFT)
                .first()
            )
        if survey is None:
            raise Http404
        return survey, Site.objects.for_scope(answer), False

    def sites(self):
        _survey, sites, research = self.target
        sites = sites.select_related("community", "company").order_by("company__name", "name", "id")
        if term := self.request.GET.get("q", "").strip()[:64]:
            sites = sites.filter(Q(name__icontains=term) | Q(address__icontains=term))
        company = self.request.GET.get("company", "")
        if research and company:
            sites = sites.filter(company_id=int(company)) if company.isdigit() else sites.none()
        return sites

    def card(self, site):
        survey = self.target[0]
        url = self.request.build_absolute_uri(public.site_link_path(survey, site))
        return {"site": site, "url": url, "svg": qr(url).svg_inline(scale=4, border=2)}


class SiteLinks(SiteLinksMixin, generic.TemplateView):
    template_name = "surveys/site_links.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        survey, _sites, research = self.target
        page = Paginator(self.sites(), SITES_PER_PAGE).get_page(self.request.GET.get("page"))
        companies = (
            Company.objects.for_scope(self.request.scope.for_perm(MANAGE))
            .filter(pk__in=distribution.member_company_ids(survey.association_id))
            .order_by("name")
            .only("id", "name")
            if research
            else []
        )
        ctx.update(
            survey=survey,
            research=research,
            page_obj=page,
            paginator=page.paginator,
            cards=[self.card(site) for site in page.object_list],
            companies=companies,
            company=self.request.GET.get("company", ""),
            query=self.request.GET.get("q", ""),
            general_url=self.request.build_absolute_uri(
                reverse("surveys:public", args=[survey.token])
            ),
        )
        return ctx


class SiteLinksPrint(SiteLinksMixin, generic.TemplateView):
    """An A4 sheet of QR codes, one company's sites (the research group names the
    company), to print and post at each site's gate."""

    template_name = "surveys/site_links_print.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        survey, _sites, research = self.target
        if research and not self.request.GET.get("company", "").isdigit():
            raise Http404
        sites = list(self.sites()[: SHEET_LIMIT + 1])
        ctx.update(
            survey=survey,
            cards=[self.card(site) for site in sites[:SHEET_LIMIT]],
            more=len(sites) > SHEET_LIMIT,
            back_url=reverse("surveys:survey_sites", args=[survey.pk]),
            printed_at=timezone.now(),
        )
        return ctx


class SiteQR(SiteLinksMixin, generic.View):
    """One site's QR code as SVG or PNG, to download."""

    def get(self, request, pk, site, fmt):
        if fmt not in ("svg", "png"):
            raise Http404
        survey = self.target[0]
        row = get_object_or_404(self.target[1].select_related("community"), pk=site)
        url = request.build_absolute_uri(public.site_link_path(survey, row))
        out = io.BytesIO()
        if fmt == "png":
            qr(url).save(out, kind="png", scale=10, border=2)
            content_type = "image/png"
        else:
            qr(url).save(out, kind="svg", scale=10, border=2, xmldecl=True)
            content_type = "image/svg+xml"
        response = HttpResponse(out.getvalue(), content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="survey-{survey.pk}-site-{row.pk}.{fmt}"'
        )
        return response


class OwnerSurveys(ScopedListView):
    """A company admin's owners' surveys: those of its associations, to hand out
    each site's link and QR code."""

    model = Survey
    permission = SURVEYS_ANSWER
    template_name = "surveys/owner_surveys.html"
    table_template = "surveys/_owner_table.html"
    title = gettext_lazy("业主问卷二维码")
    search_fields = ("title__icontains",)

    def refine_list(self, qs):
        return (
            qs.filter(audience=Survey.Audience.OWNERS)
            .exclude(state=Survey.State.DRAFT)
            .order_by("-created_at", "-id")
        )


# --- settings -------------------------------------------------------------------------------


class DistributionSettings(ObjectFormView):
    permission = MANAGE
    model = Survey
    form_class = DistributionForm
    form_instance = True
    title = gettext_lazy("发放设置")
    success_message = gettext_lazy("发放设置已保存。")

    def act(self, form):
        data = form.cleaned_data
        return distribution.survey_set_distribution(
            actor=self.request.user,
            survey=self.object,
            phone_check=data.get("phone_check") or None,
            quota_per_site=data.get("quota_per_site"),
            quota_per_district=data.get("quota_per_district"),
            remind_every_days=data.get("remind_every_days"),
        )


# --- company surveys: completion and reminders ----------------------------------------------


def _state_label(value: str) -> str:
    return str(Assignment.State(value).label) if value else ""


class CompanyProgress(ScopedListView):
    """每家会员企业的填报情况 of one company survey: not started, in progress
    (opened or delegated), submitted; filter by state; export to Excel."""

    model = Company
    permission = MANAGE
    template_name = "surveys/survey_companies.html"
    table_template = "surveys/_company_table.html"
    title = gettext_lazy("企业填报情况")
    paginate_by = 50
    export_columns = (
        ExportColumn(gettext_lazy("企业名称"), "name", 32),
        ExportColumn(gettext_lazy("统一社会信用代码"), "credit_code", 22),
        ExportColumn(gettext_lazy("状态"), lambda c: _state_label(c.fill_state), 10),
        ExportColumn(gettext_lazy("委托填写人"), lambda c: c.delegate_name or "", 14),
        ExportColumn(gettext_lazy("开始填写"), lambda c: local_time(c.started_at), 17),
        ExportColumn(gettext_lazy("提交时间"), lambda c: local_time(c.submitted_at), 17),
        ExportColumn(gettext_lazy("最近提醒"), lambda c: local_time(c.reminded_at), 17),
        ExportColumn(gettext_lazy("提醒次数"), lambda c: c.reminders or 0, 10),
    )

    @cached_property
    def survey(self):
        return get_object_or_404(
            Survey.objects.for_scope(self.scope).filter(audience=Survey.Audience.COMPANIES),
            pk=self.kwargs["pk"],
        )

    def refine_list(self, qs):
        survey = self.survey
        answered = Response.objects.for_scope(self.scope).filter(
            survey=survey, company_id=OuterRef("pk"), phone_digest=""
        )
        tasks = Assignment.objects.for_scope(self.scope).filter(
            survey=survey, company_id=OuterRef("pk")
        )
        qs = (
            qs.filter(pk__in=distribution.member_company_ids(survey.association_id))
            .annotate(
                submitted_at=Subquery(answered.values("submitted_at")[:1]),
                started_at=Subquery(tasks.values("started_at")[:1]),
                delegated_at=Subquery(tasks.values("delegated_at")[:1]),
                delegate_name=Subquery(tasks.values("delegate__display_name")[:1]),
                reminded_at=Subquery(tasks.values("reminded_at")[:1]),
                reminders=Subquery(tasks.values("reminders")[:1]),
            )
            .annotate(
                fill_state=Case(
                    When(submitted_at__isnull=False, then=Value(Assignment.State.SUBMITTED)),
                    When(
                        Q(started_at__isnull=False) | Q(delegated_at__isnull=False),
                        then=Value(Assignment.State.IN_PROGRESS),
                    ),
                    default=Value(Assignment.State.NOT_STARTED),
                    output_field=CharField(),
                )
            )
            .order_by("name", "id")
        )
        state = self.request.GET.get("state", "")
        if state:
            qs = qs.filter(fill_state=state) if state in Assignment.State.values else qs.none()
        return qs

    def search_q(self, term):
        return Q(name__icontains=term) | Q(credit_code__icontains=term)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            survey=self.survey,
            filter_choices={"state": Assignment.State.choices},
            filter_values={"state": self.request.GET.get("state", "")},
            can_remind=self.survey.accepting(),
        )
        return ctx


class CompanyRemind(ScopedViewMixin, generic.View):
    """POST: remind the member companies that have not submitted."""

    model = Survey
    permission = MANAGE
    http_method_names = ["post"]

    def post(self, request, pk):
        survey = get_object_or_404(
            self.get_queryset().filter(audience=Survey.Audience.COMPANIES), pk=pk
        )
        if request.POST.get("confirmed") != "1":
            messages.error(request, _("请勾选确认后再发送提醒。"))
        else:
            try:
                count = distribution.remind(actor=request.user, survey=survey)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("已提醒 %(n)d 家未提交的企业（12 小时内提醒过的不再重复）。") % {"n": count},
                )
        return redirect("surveys:survey_companies", pk=survey.pk)


# --- delegation -----------------------------------------------------------------------------


class Delegate(ScopedViewMixin, generic.View):
    """The company admin gives a company survey to one of its staff users."""

    model = Survey
    permission = SURVEYS_ANSWER

    def refine(self, qs):
        return qs.filter(audience=Survey.Audience.COMPANIES).exclude(state=Survey.State.DRAFT)

    def page(self, request, pk):
        survey = get_object_or_404(self.get_queryset(), pk=pk)
        company_ids = sorted(self.scope.ids(Target.COMPANY))
        if not company_ids:
            raise Http404
        company_id = company_ids[0]
        users = list(distribution.staff_users(company_id).exclude(pk=request.user.pk))
        task = (
            Assignment.objects.for_scope(self.scope)
            .filter(survey=survey, company_id=company_id)
            .select_related("delegate")
            .first()
        )
        form = DelegateForm(
            request.POST or None,
            scope=self.scope,
            users=users,
            initial={"user": task.delegate_id if task else None},
        )
        if request.method == "POST" and form.is_valid():
            try:
                distribution.delegate(
                    actor=request.user,
                    survey=survey,
                    company_id=company_id,
                    user_id=form.cleaned_data["user"],
                )
            except ValidationError as exc:
                from firstline.core.views import apply_errors

                apply_errors(form, exc)
            else:
                messages.success(request, _("已保存委托。"))
                return redirect("surveys:answer", pk=survey.pk)
        return render(
            request,
            "surveys/delegate.html",
            {"survey": survey, "form": form, "task": task, "title": _("委托填写")},
            status=400 if request.method == "POST" else 200,
        )

    def get(self, request, pk):
        return self.page(request, pk)

    def post(self, request, pk):
        return self.page(request, pk)


class DelegatedList(LoginRequiredMixin, generic.TemplateView):
    """The company surveys delegated to the signed-in staff user."""

    template_name = "surveys/delegated_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        tasks = distribution.delegated_tasks(self.request.scope, self.request.user.pk)
        page = Paginator(tasks, 25).get_page(self.request.GET.get("page"))
        scope = distribution.delegated_scope(self.request.scope)
        done = (
            Response.objects.for_scope(scope)
            .filter(
                survey_id__in=[t.survey_id for t in page.object_list],
                company_id__in=[t.company_id for t in page.object_list],
                phone_digest="",
            )
            .values_list("survey_id", "company_id", "submitted_at")
        )
        done = {(s, c): at for s, c, at in done}
        for task in page.object_list:
            task.submitted_at = done.get((task.survey_id, task.company_id))
        ctx.update(
            page_obj=page,
            paginator=page.paginator,
            tasks=page.object_list,
            title=_("委托我填写的问卷"),
        )
        return ctx
